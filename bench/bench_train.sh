#!/bin/bash
# Training throughput: a short `gaitlab train` run on the flat ANYmal task, with the time split
# per iteration (rollout physics = env step/observe/reset, rollout network = batched forward +
# sampling, update = GAE + PPO epochs + MPI reductions) read back from the run's train_log.h5.
#
#   bench/bench_train.sh [RANKS=2] [ITERATIONS=4] [--set KEY=VALUE ...]
#   env: BUILD (build dir, default ./build), OUT (default bench/results/train.json)
#
# The first iteration is reported separately (cold caches, first allocations); the summary
# uses the mean of the later ones. JSON goes to bench/results/train.json.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
RANKS=${1:-2}
ITERS=${2:-4}
shift $(( $# >= 2 ? 2 : $# ))
OUT=${OUT:-$ROOT/bench/results/train.json}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none GAITLAB_SOURCE_DIR=$ROOT

# the binary's `train` subcommand, or the test driver that calls the same glcli_train
if "$BUILD/gaitlab" train --help >/dev/null 2>&1; then
  CMD=("$BUILD/gaitlab" train)
elif [ -x "$BUILD/tests/train_cli" ]; then
  CMD=("$BUILD/tests/train_cli")
else
  echo "bench_train: build gaitlab (or the train_cli test target) in $BUILD first" >&2
  exit 2
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$(dirname "$OUT")"
start=$(date +%s.%N)
mpiexec --oversubscribe -n "$RANKS" "${CMD[@]}" "$ROOT/experiments/train_flat.yaml" -o "$W/run" \
  --set train.max_iterations="$ITERS" --set train.checkpoint_minutes=0 "$@" 2>"$W/log"
end=$(date +%s.%N)
cat "$W/log" >&2

col() { h5dump -d "/$1" -y -w 0 "$W/run/train_log.h5" | awk '/DATA {/{f=1;next} f&&/}/{exit} f' |
        tr ',' '\n' | grep -o '[-0-9.e+naif]*' | tr '\n' ' '; }
read -r NUM_ENVS HORIZON < <(sed -n 's/.* \([0-9]*\) envs on [0-9]* ranks, [0-9]* x \([0-9]*\) steps.*/\1 \2/p' "$W/log" | head -1)
python3 - "$OUT" "$RANKS" "$NUM_ENVS" "$HORIZON" "$(nproc)" "$(echo "$end - $start" | bc)" \
  "$(col steps_per_s)" "$(col t_physics)" "$(col t_network)" "$(col t_update)" "$(col t_iteration)" <<'EOF'
import json, sys
out, ranks, envs, horizon, cores, wall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
sps, phys, net, upd, tot = ([float(x) for x in a.split()] for a in sys.argv[7:12])
later = slice(1, None) if len(tot) > 1 else slice(0, None)
mean = lambda v: sum(v[later]) / len(v[later])
steps = envs * horizon
r = {
  "benchmark": "train", "ranks": ranks, "cores": cores, "num_envs": envs, "horizon": horizon,
  "iterations": len(tot), "samples_per_iteration": steps,
  "steps_per_s": steps / mean(tot),
  "first_iteration_steps_per_s": sps[0],
  "t_iteration_s": mean(tot), "t_physics_s": mean(phys), "t_network_s": mean(net), "t_update_s": mean(upd),
  "fraction_physics": mean(phys) / mean(tot), "fraction_network": mean(net) / mean(tot),
  "fraction_update": mean(upd) / mean(tot),
  "physics_us_per_step_per_rank": mean(phys) / (steps / ranks) * 1e6,
  "update_us_per_sample_per_rank": mean(upd) / (steps / ranks) * 1e6,
  "bare_physics_steps_per_s": steps / mean(phys),
  "process_wall_s": wall,
}
json.dump(r, open(out, "w"), indent=2)
print(json.dumps(r, indent=2))
EOF
