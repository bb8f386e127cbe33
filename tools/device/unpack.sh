#!/bin/bash
# Counterpart of bundle.sh, run on the target machine: unpack to DIR and print the settings
# that make a bundled program run under the bundled loader and libraries, with Open MPI and
# PMIx looking for their components, help files and settings inside DIR (the target may have
# its own, different Open MPI at the same absolute paths):
#   eval "$(tools/device/unpack.sh .dev/bundle.tar.xz /tmp/gl)"; $GL_RUN $GL_MPIRUN -np 16 $GL_RUN $GL_BIN ...
set -euo pipefail
tarball=${1:?bundle}
dir=${2:?target dir}
mkdir -p "$dir"
tar -C "$dir" -xJf "$tarball"
echo "GL_RUN='$dir/lib/ld-linux-x86-64.so.2 --library-path $dir/lib'"
echo "GL_MPIRUN='$dir/bin/orterun'"
echo "GL_BIN='$dir/bin/gaitlab'"
r=$dir/root
echo "export OPAL_PKGLIBDIR=$r/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3"
echo "export OMPI_MCA_mca_base_component_path=$r/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3"
echo "export PMIX_MCA_mca_base_component_path=$r/usr/lib/x86_64-linux-gnu/pmix2/lib/pmix"
echo "export OPAL_PKGDATADIR=$r/usr/share/openmpi OPAL_SYSCONFDIR=$r/etc/openmpi"
# the bundled PMIx finds no zlib component of its own version there; it only warns
echo "export PMIX_MCA_pcompress_base_silence_warning=1"
