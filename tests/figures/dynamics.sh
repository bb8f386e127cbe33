#!/usr/bin/env bash
# tools/dynamics_figures.py on small real runs: the force-sweep success surface, the
# ablation curve and the fixed points over the trajectories, each drawn and checked; a
# figure whose input lacks its datasets exits 2 naming the object.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd); src="$here/../.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; PY=${GAITLAB_PYTHON:-/usr/bin/python3}; FIG="$src/tools/dynamics_figures.py"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

"$G" run "$src/tests/run/data/force.yaml" -q --set output=force.h5 || fail "force run"
"$G" run "$src/tests/run/data/neural.yaml" -q --set output=ref.h5 || fail "reference run"
"$G" run "$src/tests/run/data/neural.yaml" -q --set output=abl.h5 \
  --set 'neural={kind: ablate, layer: lstm_c, step: 150, count: [0, 16, 64, 128], reference: ref.h5}' || fail "ablation run"
"$G" analyze ref.h5 -q --set analysis.normalize=none --set 'analysis.populations=[lstm_c]' || fail "analyse"
"$G" dynamics ref.h5 --set dynamics.inits=4 --set dynamics.max_iter=5 > dyn.txt || fail "dynamics"
"$PY" "$FIG" --force force.h5 --ablation abl.h5 --fixed-points ref.h5 --out figs --check > out.txt
rc=$?; cat out.txt
[ $rc -eq 0 ] || fail "dynamics_figures exit $rc"
# the expected artists, counted from the files independently
"$PY" - force.h5 abl.h5 ref.h5 out.txt <<'PY' || fail "artist counts"
import sys, h5py, numpy as np, re
f, a, r = (h5py.File(p, "r") for p in sys.argv[1:4]); out = open(sys.argv[4]).read()
ag = f["agents"]; k = (ag["perturbed"][:] > 0) & (ag["force_onset_step"][:] >= 0)
curves = sum(len(np.unique(ag["force_duration"][:][k & (ag["condition"][:] == c)])) for c in range(2))
assert f"fig_force_success: {curves} curves [check ok]" in out, f"force: want {curves} curves"
assert "fig_ablation: 2 curves [check ok]" in out, "ablation: one curve in each panel"
n = sum(len(g["points"]) for g in r["dynamics/fixed_points"].values())
nc = len(r["analysis/lstm_c/condition_offset"]) - 1
assert f"fig_fixed_points: {nc} trajectories, {n} points [check ok]" in out, f"want {nc} trajectories, {n} points"
print("artists: ok")
PY
for fmt in png pdf; do for n in fig_force_success fig_ablation fig_fixed_points; do
  [ -s figs/$n.$fmt ] || fail "figs/$n.$fmt not written"; done; done
"$PY" "$FIG" --ablation force.h5 --out f2 2> err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "force.h5: /agents/neural_count: missing" err.txt && echo "ok   missing dataset: exit 2" || fail "missing dataset: rc $rc $(cat err.txt)"
[ $fails -eq 0 ] && echo "dynamics figures: all passed" || { echo "dynamics figures: $fails failed"; exit 1; }
