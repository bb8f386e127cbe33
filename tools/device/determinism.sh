#!/bin/bash
# On a many-core node (bundle from tools/device/bundle.sh with h5check): the same experiment
# on 1 rank and on several larger rank counts must give bitwise-identical recordings
# (the e2e_determinism test does this for 1-4 ranks on every CI run).
#   tools/device/determinism.sh "5 16"
# Environment: BUNDLE (default .dev/bundle.tar.xz), GL_DIR where it is unpacked (default
# /tmp/gl), COPIES agents per condition of tests/end_to_end/data/small.yaml (default 40).
set -uo pipefail
cd "$(dirname "$0")/../.."
bundle=${BUNDLE:-.dev/bundle.tar.xz}
gl_dir=${GL_DIR:-/tmp/gl}
eval "$(tools/device/unpack.sh "$bundle" "$gl_dir")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
# shipped files (models, policies) from this checkout, wherever it was built
export GAITLAB_SOURCE_DIR=${GAITLAB_SOURCE_DIR:-$PWD}
ranks=${1:-"5 16"}
copies=${COPIES:-40}
w=$(mktemp -d)
status=0
for np in 1 $ranks; do
  t0=$(date +%s.%N)
  $GL_RUN $GL_MPIRUN -np "$np" --oversubscribe --bind-to none \
    $GL_RUN $GL_BIN run tests/end_to_end/data/small.yaml --quiet --set output="$w/np$np.h5" \
    --set conditions.copies="$copies" 2>&1 | grep -v "mca_base_component_repository_open\|dlopen\|Perhaps"
  [ -f "$w/np$np.h5" ] || status=1
  echo "np $np: $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') s"
done
for np in $ranks; do
  if $GL_RUN "$gl_dir/bin/h5check" compare "$w/np1.h5" "$w/np$np.h5"; then
    echo "np $np: bitwise identical to np 1"
  else
    echo "np $np: DIFFERS from np 1"; status=1
  fi
done
exit $status
