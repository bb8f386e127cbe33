#!/usr/bin/env bash
# The shipped default policy on the real robot, end to end on 2 ranks: it must step (RF-foot
# cycles in the window), the run driver's per-agent cycle counts must equal what the
# analysis finds independently from the recorded foot forces, and the analysis must run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
"$MPIEXEC" -n 2 --oversubscribe "$GAITLAB_BINARY" run "$GAITLAB_SOURCE_DIR/experiments/default.yaml" --quiet \
  --set output=walk.h5 --set 'conditions.u=[0.5, 0.6]' --set conditions.copies=2 \
  --set sim.episode_steps=400 --set sim.record_start=150 --set sim.record_stop=400 \
  --set 'record=[mu, foot_force]' --set 'analysis.populations=[mu]'
"$H5CHECK" validity walk.h5
"$H5CHECK" cycles walk.h5
# The report stage reads it back: text with the tracking table and an SVG per population.
"$GAITLAB_BINARY" report walk.h5 -o figs | grep -q "tracking"
ls figs/*_mu_pc.svg figs/summary.csv >/dev/null
