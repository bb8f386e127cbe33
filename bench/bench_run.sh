#!/bin/bash
# Throughput of `gaitlab run` (simulation + batched inference + collective HDF5 writes) on
# 1 and 2 ranks, as a ratio to bare physics (4 x mj_step per policy step, from bench_env)
# measured in the same invocation. Usage: bench/bench_run.sh [build_dir] [copies]
# Writes bench/results/run.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
COPIES=${2:-32}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1 GAITLAB_SOURCE_DIR="$ROOT"
cmake --build "$BUILD" --target gaitlab bench_env -j2 >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$(find "$BUILD" -name bench_env -type f -perm -u+x | head -n1)" 1000 3 "$tmp/env.json" >/dev/null
# Bare physics of one policy step = decimation x bare mj_step (with inline PD).
mj_us=$(sed -n 's/.*"bare_mj_step_us"[^0-9]*\([0-9.]*\).*/\1/p' "$tmp/env.json" | head -1)
bare_us=$(awk -v m="$mj_us" 'BEGIN { print 4 * m }')
declare -A rate
for np in 1 2; do
  line=$(mpirun -np $np --oversubscribe "$BUILD/gaitlab" run "$ROOT/experiments/default.yaml" \
      --set policy=random --set conditions.copies=$COPIES --set output="$tmp/r$np.h5" \
      --set 'record=[lstm_c, mu]' --set analysis.populations=[mu] 2>&1 | grep "wrote" )
  rate[$np]=$(sed -n 's/.*(\([0-9.]*\) policy-steps\/s).*/\1/p' <<<"$line")
done
python3 - "$bare_us" "${rate[1]}" "${rate[2]}" "$ROOT/bench/results/run.json" "$(git -C "$ROOT" rev-parse --short HEAD)" <<'PY'
import json, sys
bare_us, r1, r2, out, git = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
bare_rate = 1e6 / bare_us
res = {"git": git, "bare_physics_policy_step_us": bare_us,
       "run_policy_steps_per_s": {"1": r1, "2": r2},
       "ratio_to_bare_physics_1rank": r1 / bare_rate,
       "speedup_2_ranks": r2 / r1}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
