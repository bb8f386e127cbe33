#!/usr/bin/env bash
# Train (or continue) the shipped agents, each from experiments/train_flat.yaml's recipe:
#   seed_N           the recipe with seed N (the default policy is seed 1, name default)
#   action_feedback  experiments/train_action_feedback.yaml (188-d actor input)
#
#   tools/train_agents.sh start NAME [--np N] [--set KEY=VALUE]...
#                                               train into runs/NAME/, continuing from the
#                                               checkpoint there or, when runs/NAME/ has none,
#                                               from policies/training/NAME/ (--set
#                                               train.total_steps=6e7 continues past the
#                                               budget, as the default policy's run did)
#   tools/train_agents.sh save NAME             copy runs/NAME/'s checkpoint and log into
#                                               policies/training/NAME/ (what git keeps of a
#                                               run in progress)
#   tools/train_agents.sh evaluate NAME SNAPSHOT [--np N]
#                                               the acceptance evaluation of one snapshot
#                                               (eval_forward + eval_turn, 100 agents per
#                                               condition, seed 7), appended to
#                                               policies/training/NAME/evaluation.txt; exit 0
#                                               when it passes, 1 when it fails the bar
#   tools/train_agents.sh ship NAME SNAPSHOT    policies/NAME.h5 = the chosen snapshot, the
#                                               log kept beside it, the checkpoint dropped
#
# A run checkpoints every 5 minutes and on SIGTERM (exit 75; start it again to continue).
# Snapshots every 2.5 M steps go to runs/NAME/snapshots/ for choosing the shipped one by
# evaluation (experiments/eval_forward.yaml + eval_turn.yaml, --set conditions.copies=100).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
case "$name" in
  seed_[0-9]*) yaml=experiments/train_flat.yaml; sets=(--set "seed=${name#seed_}" --set "name=$name");;
  action_feedback) yaml=experiments/train_action_feedback.yaml; sets=();;
  default) yaml=experiments/train_flat.yaml; sets=(--set seed=1 --set name=default);;
  *) echo "train_agents.sh: unknown agent '$name' (allowed: seed_N, action_feedback, default)" >&2; exit 2;;
esac
run=runs/$name keep=policies/training/$name
G=${GAITLAB:-build/gaitlab}
case "$cmd" in
  start)
    np=2; shift 2
    while [ $# -gt 0 ]; do
      case "$1" in
        --np) np=${2:?--np needs a number}; shift 2;;
        --set) sets+=(--set "${2:?--set needs KEY=VALUE}"); shift 2;;
        *) echo "train_agents.sh: unknown option '$1' (allowed: --np N, --set KEY=VALUE)" >&2; exit 2;;
      esac
    done
    mkdir -p "$run"
    if [ ! -f "$run/checkpoint.h5" ] && [ -f "$keep/checkpoint.h5" ]; then
      cp "$keep/checkpoint.h5" "$keep/train_log.h5" "$run/"
    fi
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    # --bind-to none: Open MPI binds rank 0 of every job to core 0, so a second job beside
    # this one (an evaluation, another seed) would share its core while the others idle.
    exec mpirun -np "$np" --oversubscribe --bind-to none "$G" train "$yaml" "${sets[@]}" --set "output=$run" --resume-or-start;;
  save)
    mkdir -p "$keep"
    cp "$run/checkpoint.h5" "$run/train_log.h5" "$keep/"
    echo "train_agents: $keep/ holds $name's checkpoint and log";;
  evaluate)
    snap=${3:?evaluate needs the snapshot file}; np=2; shift 3
    [ "${1:-}" = --np ] && np=${2:?--np needs a number}
    H5CHECK=${H5CHECK:-$(dirname "$G")/tests/h5check}
    H5CHECK=$(realpath "$H5CHECK" 2>/dev/null || echo "$H5CHECK")
    [ -x "$H5CHECK" ] || { echo "train_agents.sh: $H5CHECK not built (cmake --build build --target h5check)" >&2; exit 2; }
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    for e in forward turn; do
      mpirun -np "$np" --oversubscribe --bind-to none "$G" run "experiments/eval_$e.yaml" --set "policy=$snap" \
        --set conditions.copies=100 --set seed=7 --set "output=$tmp/eval_$e.h5" \
        > "$tmp/$e.log" 2>&1 || { cat "$tmp/$e.log" >&2; exit 3; }
    done
    rc=0
    (cd "$tmp" && "$H5CHECK" acceptance eval_forward.h5 eval_turn.h5) > "$tmp/acc.txt" 2>&1 || rc=$?
    mkdir -p "$keep"
    [ -f "$keep/evaluation.txt" ] || printf '# Acceptance evaluation of %s (tools/train_agents.sh evaluate: eval_forward + eval_turn, 100 agents per condition, seed 7)\n' "$name" > "$keep/evaluation.txt"
    { printf '\n## snapshot %s\n' "$(basename "$snap" .h5)"; cat "$tmp/acc.txt"; } >> "$keep/evaluation.txt"
    cat "$tmp/acc.txt"
    exit $rc;;
  ship)
    snap=${3:?ship needs the snapshot file}
    cp "$snap" "policies/$name.h5"
    mkdir -p "$keep"
    cp "$run/train_log.h5" "$keep/"
    rm -f "$keep/checkpoint.h5"
    echo "train_agents: policies/$name.h5 <- $snap; $keep/ keeps the log";;
  *) echo "train_agents.sh: unknown command '$cmd' (allowed: start, save, evaluate, ship)" >&2; exit 2;;
esac
