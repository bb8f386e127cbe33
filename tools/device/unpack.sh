#!/bin/bash
# Counterpart of bundle.sh, run on the target machine: unpack to DIR, copy Open MPI's
# absolute-path trees into / without replacing anything, and print a prefix that runs a
# bundled program under the bundled loader and libraries:
#   eval "$(tools/device/unpack.sh .dev/bundle.tar.xz /tmp/gl)"; $GL_RUN $GL_MPIRUN -np 16 $GL_RUN $GL_BIN ...
set -euo pipefail
tarball=${1:?bundle}
dir=${2:?target dir}
mkdir -p "$dir"
tar -C "$dir" -xJf "$tarball"
cp -rn "$dir/root/." / 2>/dev/null || true
echo "GL_RUN='$dir/lib/ld-linux-x86-64.so.2 --library-path $dir/lib'"
echo "GL_MPIRUN='$dir/bin/orterun'"
echo "GL_BIN='$dir/bin/gaitlab'"
