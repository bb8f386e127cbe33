#!/bin/bash
# Tangling throughput, float32-screened vs exact double path, against the DGEMM and SGEMM
# rates measured in the same run (issue [analysis] item 8).
#   bench/bench_tangling.sh [BUILD_DIR] [--full]
# N = 5k and 20k (D = 128) on 1 and 2 ranks -> bench/results/tangling.json (one object per
# run; compare the ratios in it, which survive a shared machine, rather than the seconds).
# --full adds N = 350k on 2 ranks, screened path only matters there (many minutes).
# Target: N = 20k, D = 128 in <= 1.5 s on 2 idle cores; N = 350k in < 10 min.
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
out=$here/bench/results/tangling.json
mkdir -p "$(dirname "$out")"
runs=()
for n in 5000 20000; do
  for r in 1 2; do
    runs+=("$("$mpi" --oversubscribe -n $r "$bin" $n 128)")
    echo "${runs[-1]}" | tr -d '\n'; echo
  done
done
if (( full )); then runs+=("$("$mpi" --oversubscribe -n 2 "$bin" 350000 128 0 1)"); fi
{
  echo '{"benchmark": "tangling",'
  echo " \"git\": \"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)\","
  echo " \"host\": \"$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end\","
  echo ' "runs": ['
  for i in "${!runs[@]}"; do
    sep=,; (( i == ${#runs[@]} - 1 )) && sep=
    echo "${runs[$i]}$sep"
  done
  echo ']}'
} > "$out"
echo "wrote $out"
