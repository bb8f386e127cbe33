#!/usr/bin/env bash
# The cross-seed study in one command: the same condition set (experiments/studies/
# cross_seed.yaml: the paper's six opposing conditions and seven forward speeds) on every
# shipped baseline agent, then
#   DIR/report.txt   `gaitlab report`: each agent's report, then every number as mean ± sd
#                    across the agents, and one comparison row per agent;
#   DIR/align.txt    `gaitlab align`: per pair of agents and layer (lstm_c, mu), the canonical
#   DIR/align.h5     correlations and the Procrustes disparity of their cycle-averaged
#                    trajectories, next to controls that break the correspondence.
#
#   tools/cross_seed.sh [--copies N] [--out DIR] [--np N] [POLICY...]
#
# POLICY: names under policies/ or policy files (default: `default` and every `seed_*`);
# add `action_feedback` to set the action-feedback agent beside them. --copies shrinks every
# condition (100 by default) for a quick look. Runs that already finished are kept, so an
# interrupted study continues where it stopped (each run also resumes its own .partial).
set -euo pipefail
cd "$(dirname "$0")/.."
copies=100 out=out/cross_seed np=$(nproc)
policies=()
while [ $# -gt 0 ]; do
  case "$1" in
    --copies) copies=$2; shift 2;;
    --out) out=$2; shift 2;;
    --np) np=$2; shift 2;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -*) echo "cross_seed.sh: unknown option '$1' (allowed: --copies N, --out DIR, --np N)" >&2; exit 2;;
    *) policies+=("$1"); shift;;
  esac
done
if [ ${#policies[@]} -eq 0 ]; then
  for f in policies/default.h5 policies/seed_*.h5; do
    [ -f "$f" ] && policies+=("$(basename "$f" .h5)")
  done
fi
if [ ${#policies[@]} -lt 2 ]; then
  echo "cross_seed.sh: needs at least two agents (found: ${policies[*]:-none})" >&2; exit 2
fi
G=${GAITLAB:-build/gaitlab}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$out"
files=()
for p in "${policies[@]}"; do
  f="$out/$(basename "$p" .h5).h5"
  files+=("$f")
  [ -f "$f" ] && { echo "cross_seed: $f exists, kept"; continue; }
  mpirun -np "$np" --oversubscribe --bind-to none "$G" run experiments/studies/cross_seed.yaml --quiet --resume \
    --set policy="$p" --set output="$f" --set conditions.copies="$copies"
done
"$G" report "${files[@]}" > "$out/report.txt"
"$G" align "${files[@]}" -o "$out/align.h5" | tee "$out/align.txt"
echo "cross_seed: $out/report.txt, $out/align.txt, $out/align.h5"
