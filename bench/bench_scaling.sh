#!/bin/bash
# Strong scaling of `gaitlab run` (simulation + batched inference + collective HDF5 writes of
# the default experiment on the shipped policy) over rank counts, as speedups against the
# 1-rank rate of the same invocation, next to the node's own bound: for each rank count, as
# many independent bench_env processes walking the shipped policy at once (no MPI, nothing
# shared), whose summed rate over one process's rate is the speedup the cores can deliver at
# all (shared caches, memory bandwidth, clocks under load, hyperthreads). Meant for a
# many-core node.
#   bench/bench_scaling.sh OUT.json COPIES "1 2 4 8 16"
# Launcher: $GL_MPIRUN (default mpirun) and $GL_BIN (default build/gaitlab); $GL_RUN, when
# set, prefixes both (tools/device/unpack.sh sets it for a bundled runtime); $GL_BENCH_ENV
# names bench_env when it is not in the binary's build tree.
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
envbin=${GL_BENCH_ENV:-$(find "$(dirname "$bin")" -name bench_env -type f -perm -u+x | head -n1)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rates=() node=()
for np in $ranks; do
  agg=
  if [ -n "$envbin" ]; then
    for k in $(seq "$np"); do
      $run "$envbin" 400 1 "$tmp/e$k.json" "$ROOT/policies/default.h5" > "$tmp/e$k.txt" &
    done
    wait
    agg=$(sed -n 's/^walking .* = \([0-9.]*\) us (physics.*/\1/p' "$tmp"/e*.txt | awk '{s += 1e6 / $1} END {print s}')
    rm -f "$tmp"/e*.txt "$tmp"/e*.json
    node+=("$np:$agg")
  fi
  line=$($run $mpirun -np "$np" --oversubscribe --bind-to none $run "$bin" run \
      "$ROOT/experiments/default.yaml" --set conditions.copies="$copies" \
      --set output="$tmp/r$np.h5" --set 'record=[lstm_c, mu]' --set analysis.populations=[mu] \
      2>&1 | grep "wrote")
  rate=$(sed -n 's/.*(\([0-9.]*\) policy-steps\/s).*/\1/p' <<<"$line")
  echo "ranks $np: $rate policy-steps/s (independent walking loops together: ${agg:-?} agent-steps/s)" >&2
  rates+=("$np:$rate")
  rm -f "$tmp/r$np.h5"
done
python3 - "$out" "$copies" "$(nproc)" "${node[*]:-}" "${rates[@]}" <<'PY'
import json, sys
out, copies, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
node = {int(k): float(v) for k, v in (a.split(":") for a in sys.argv[4].split())}
rates = {int(k): float(v) for k, v in (a.split(":") for a in sys.argv[5:])}
base = rates[min(rates)]
res = {"experiment": "experiments/default.yaml, shipped default policy, copies %d" % copies,
       "cores": cores, "policy_steps_per_s": {str(k): v for k, v in sorted(rates.items())},
       "speedup_vs_%d_rank" % min(rates): {str(k): v / base for k, v in sorted(rates.items())},
       "parallel_efficiency": {str(k): v / base / (k / min(rates)) for k, v in sorted(rates.items())}}
if node:
    nb = node[min(node)]
    res["node_bound_speedup"] = {str(k): v / nb for k, v in sorted(node.items())}
    res["speedup_over_node_bound"] = {str(k): (rates[k] / base) / (node[k] / nb)
                                      for k in sorted(node) if k in rates}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
