#!/bin/bash
# Tangling throughput vs the DGEMM rate measured in the same run (issue [analysis] item 8).
#   bench/bench_tangling.sh [BUILD_DIR] [--full]
# N = 5k and 20k (D = 128) on 1 and 2 ranks; --full adds N = 350k on 2 ranks (minutes).
# Targets: N = 20k, D = 128 in <= 1.5 s on 2 cores; N = 350k in < 10 min.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
full=0
for a in "$@"; do [[ $a == --full ]] && full=1; done
bin=$build/tests/bench_tangling
[[ -x $bin ]] || bin=$(find "$build" -name bench_tangling -type f -perm -u+x | head -1)
[[ -x $bin ]] || { echo "bench_tangling not built in $build (cmake --build $build --target bench_tangling)" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpi=${MPIEXEC:-mpiexec}
for n in 5000 20000; do
  for r in 1 2; do "$mpi" --oversubscribe -n $r "$bin" $n 128; done
done
if (( full )); then "$mpi" --oversubscribe -n 2 "$bin" 350000 128; fi
