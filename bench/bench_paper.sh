#!/bin/bash
# End to end, the paper's core data set: exp1_forward + exp2_opposing + exp3_speed_u of
# experiments/paper/ (100 + 600 + 700 = 1 400 agents, 20 s episodes), each simulated,
# recorded and analysed by its own analysis: block, on N ranks. The bound, measured in the
# same invocation: the agent-steps of the three runs at bench_env's walking rate of the
# shipped policy (physics + inference, no recording, no analysis), divided over the ranks.
#   bench/bench_paper.sh [BUILD_DIR] [RANKS (2)] [COPIES (100)]   Writes bench/results/paper.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
NP=${2:-2}
COPIES=${3:-100}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1 GAITLAB_SOURCE_DIR="$ROOT"
envbin=$(find "$BUILD" -name bench_env -type f -perm -u+x | head -n1)
[ -x "$BUILD/gaitlab" ] && [ -n "$envbin" ] || { echo "bench_paper: build gaitlab and bench_env in $BUILD first" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$envbin" 900 3 "$tmp/env.json" "$ROOT/policies/default.h5" > "$tmp/env.txt"
walk_us=$(sed -n 's/^walking .* = \([0-9.]*\) us (physics.*/\1/p' "$tmp/env.txt")
rows=()
t_all0=$(date +%s.%N)
for e in exp1_forward exp2_opposing exp3_speed_u; do
  t0=$(date +%s.%N)
  mpirun -np "$NP" --oversubscribe "$BUILD/gaitlab" run "$ROOT/experiments/paper/$e.yaml" \
      --set conditions.copies="$COPIES" --set output="$tmp/$e.h5" > "$tmp/$e.log" 2>&1 \
      || { cat "$tmp/$e.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  rows+=("$e:$(echo "$t1 - $t0" | bc)")
  echo "bench_paper: $e $(echo "$t1 - $t0" | bc) s" >&2
done
t_all=$(echo "$(date +%s.%N) - $t_all0" | bc)
python3 - "$walk_us" "$NP" "$t_all" "$ROOT/bench/results/paper.json" "$(git -C "$ROOT" rev-parse --short HEAD)" "$tmp" "${rows[@]}" <<'PY'
import json, re, sys
walk_us, np_, t_all, out, git, tmp = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
stages, agent_steps = {}, 0
for r in sys.argv[7:]:
    name, t = r.split(":")
    log = open(f"{tmp}/{name}.log").read()
    m = re.search(r"(\d+) agents \(.*?\) on \d+ ranks?, (\d+) steps each", log)
    steps = int(m.group(1)) * int(m.group(2))
    agent_steps += steps
    stages[name] = {"wall_s": float(t), "agents": int(m.group(1)), "agent_steps": steps}
bound = agent_steps * walk_us * 1e-6 / np_
res = {"benchmark": "paper", "git": git, "ranks": np_, "stages": stages, "total_wall_s": t_all,
       "agent_steps": agent_steps, "walking_us_per_agent_step": walk_us,
       "bound_s": bound, "ratio_to_bound": bound / t_all, "target_s": 180.0}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
print(f"bench_paper: {agent_steps} agent-steps in {t_all:.1f} s on {np_} ranks; bound {bound:.1f} s; "
      f"ratio {bound / t_all:.2f}; target 180 s")
PY
