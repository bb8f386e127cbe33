#!/bin/bash
# Pack gaitlab and the Debian 12 runtime it needs (shared libraries, the dynamic loader,
# Open MPI's launcher, components and help files) into one tarball, for running on a machine
# that is not Debian 12 and cannot install packages. Run it on the Debian 12 build machine;
# on the target, tools/device/unpack.sh puts the bundle in place and prints the command
# prefix to use (see tools/device/README.md).
#
#   tools/device/bundle.sh BUILD_DIR OUT_DIR [EXTRA_PROGRAM...]  -> OUT_DIR/bundle.tar.xz
# (extra programs, e.g. the tests' h5check, land in bin/ beside gaitlab)
set -euo pipefail
build=${1:?build dir}
out=${2:?output dir}
shift 2
extra=("$@")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" "$stage/bin" "$stage/root"

# Open MPI opens its components and help files by absolute path: ship those trees as they
# are and let unpack.sh copy them into place (without overwriting anything there).
trees="/usr/lib/x86_64-linux-gnu/openmpi /usr/lib/x86_64-linux-gnu/pmix2 /usr/share/openmpi
       /usr/share/pmix /etc/openmpi"
for t in $trees; do
  [ -e "$t" ] || continue
  mkdir -p "$stage/root$(dirname "$t")"
  cp -a "$t" "$stage/root$(dirname "$t")/"
done

# One node over shared memory needs no network fabrics (UCX, libfabric, verbs, PSM) or
# OpenSHMEM; dropping their components keeps their libraries (tens of MB) out as well.
find "$stage/root" \( -name '*.a' -o -name '*.la' -o -regextype egrep \
  -regex '.*(ucx|ofi|psm|openib|verbs|usnic|scoll|spml|sshmem|atomic_|memheap|cuda).*' \) \
  -delete
cp "$build/gaitlab" "$stage/bin/"
cp "$(readlink -f /usr/bin/orterun)" "$stage/bin/orterun"
objs=("$build/gaitlab" /usr/bin/orterun)
for x in ${extra[@]+"${extra[@]}"}; do cp "$x" "$stage/bin/"; objs+=("$x"); done
while IFS= read -r so; do objs+=("$so"); done < <(find -L "$stage/root" -name '*.so*' -type f)
for o in "${objs[@]}"; do
  ldd "$o" 2>/dev/null | awk '/=> \//{print $1, $3}'
done | sort -u | while read -r name path; do
  [ -e "$stage/lib/$name" ] || cp -L "$path" "$stage/lib/$name"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib/"
mkdir -p "$out"
tar -C "$stage" -cJf "$out/bundle.tar.xz" .
du -h "$out/bundle.tar.xz"
