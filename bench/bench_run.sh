#!/bin/bash
# Throughput of `gaitlab run` as users run it: the shipped policy walking, 224 agents
# (7 speeds x 32 copies), every layer recorded, on 1 and 2 ranks. Two bounds, both
# measured in this invocation:
#   - in the run: its own profile (physics + inference time of the slowest rank) over the
#     time of its blocks, i.e. how much of the run is simulation and inference at all;
#   - isolated: one policy step of bare env physics (bench_env: observe + 4 PD substeps,
#     a standing robot) + one row of batched actor inference at the run's batch of 32
#     (bench_policy), against the run's agent-steps per second per rank.
# Usage: bench/bench_run.sh [build_dir] [copies (32)]   Writes bench/results/run.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
COPIES=${2:-32}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1 GAITLAB_SOURCE_DIR="$ROOT"
cmake --build "$BUILD" --target gaitlab bench_env bench_policy -j2 >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
find_bin() { find "$BUILD" -name "$1" -type f -perm -u+x | head -n1; }
"$(find_bin bench_env)" 1000 3 "$tmp/env.json" > "$tmp/env.txt"
"$(find_bin bench_policy)" "$tmp/policy.json" > "$tmp/policy.txt"
env_us=$(sed -n 's/^env policy step (observe + step): \([0-9.]*\) us.*/\1/p' "$tmp/env.txt")
inf_us=$(sed -n 's/^infer glp_step_f B=32 .*, \([0-9.]*\) us\/row.*/\1/p' "$tmp/policy.txt")
for np in 1 2; do
  mpirun -np $np --oversubscribe "$BUILD/gaitlab" run "$ROOT/experiments/default.yaml" \
      --set conditions.copies=$COPIES --set output="$tmp/r$np.h5" --set analysis.populations=[mu] \
      > "$tmp/run$np.txt" 2>&1
done
python3 - "$env_us" "$inf_us" "$tmp" "$ROOT/bench/results/run.json" "$(git -C "$ROOT" rev-parse --short HEAD)" "$COPIES" <<'PY'
import json, re, sys
env_us, inf_us, tmp, out, git, copies = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
res = {"git": git, "agents": 7 * copies, "policy": "default", "layers": "all",
       "isolated_physics_policy_step_us": env_us, "isolated_inference_row_us_batch32": inf_us,
       "isolated_bound_agent_steps_per_s_per_rank": 1e6 / (env_us + inf_us)}
for np in (1, 2):
    t = open(f"{tmp}/run{np}.txt").read()
    rate = float(re.search(r"\(([0-9.]+) policy-steps/s\)", t).group(1))
    p = re.search(r"profile .*?physics ([0-9.]+), inference ([0-9.]+), recording copies ([0-9.]+), writes ([0-9.]+), other ([-0-9.]+); bound physics \+ inference [0-9.]+ \(slowest rank ([0-9.]+)\) = ([0-9.]+) of the blocks' ([0-9.]+) s", t)
    res[f"ranks_{np}"] = {"agent_steps_per_s": rate,
                          "profile_s_per_rank": dict(zip(["physics", "inference", "recording_copies", "writes", "other"], map(float, p.groups()[:5]))),
                          "in_run_bound_ratio": float(p.group(7)),
                          "ratio_to_isolated_bound": rate / np / res["isolated_bound_agent_steps_per_s_per_rank"]}
res["speedup_2_ranks"] = res["ranks_2"]["agent_steps_per_s"] / res["ranks_1"]["agent_steps_per_s"]
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
