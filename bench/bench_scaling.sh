#!/bin/bash
# Strong scaling of `gaitlab run` (simulation + batched inference + collective HDF5 writes of
# the default experiment with a random policy) over rank counts, as speedups against the
# 1-rank rate of the same invocation. Meant for a many-core node.
#   bench/bench_scaling.sh OUT.json COPIES "1 2 4 8 16"
# Launcher: $GL_MPIRUN (default mpirun) and $GL_BIN (default build/gaitlab); $GL_RUN, when
# set, prefixes both (tools/device/unpack.sh sets it for a bundled runtime).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?out json}
copies=${2:-64}
ranks=${3:-"1 2 4 8 16"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
run=${GL_RUN:-}
mpirun=${GL_MPIRUN:-mpirun}
bin=${GL_BIN:-$ROOT/build/gaitlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rates=()
for np in $ranks; do
  line=$($run $mpirun -np "$np" --oversubscribe --bind-to none $run "$bin" run \
      "$ROOT/experiments/default.yaml" --set policy=random --set conditions.copies="$copies" \
      --set output="$tmp/r$np.h5" --set 'record=[lstm_c, mu]' --set analysis.populations=[mu] \
      2>&1 | grep "wrote")
  rate=$(sed -n 's/.*(\([0-9.]*\) policy-steps\/s).*/\1/p' <<<"$line")
  echo "ranks $np: $rate policy-steps/s" >&2
  rates+=("$np:$rate")
  rm -f "$tmp/r$np.h5"
done
python3 - "$out" "$copies" "$(nproc)" "${rates[@]}" <<'PY'
import json, sys
out, copies, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rates = {int(k): float(v) for k, v in (a.split(":") for a in sys.argv[4:])}
base = rates[min(rates)]
res = {"experiment": "experiments/default.yaml, policy random, copies %d" % copies,
       "cores": cores, "policy_steps_per_s": {str(k): v for k, v in sorted(rates.items())},
       "speedup_vs_%d_rank" % min(rates): {str(k): v / base for k, v in sorted(rates.items())},
       "parallel_efficiency": {str(k): v / base / (k / min(rates)) for k, v in sorted(rates.items())}}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
