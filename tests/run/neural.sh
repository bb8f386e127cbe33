#!/usr/bin/env bash
# Neural perturbation and ablation end to end, checked with h5py against the reference run
# (an independent computation of the means, PC projections and gradient ranking):
# ablation holds each chosen unit at the reference's mean from the step on and changes no
# other unit at that step; a 0-unit cell is bitwise the unablated agent; an offset along a
# PC moves the state by exactly that vector; set on the observation; the gradient ranking;
# the same file on 1, 2 and 4 ranks; the report's ablation rows; the refused configurations.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; Y="$here/data/neural.yaml"; PY=${GAITLAB_PYTHON:-/usr/bin/python3}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

"$G" run "$Y" -q --set output=ref.h5 || { fail "reference run"; exit 1; }
ABL='neural={kind: ablate, layer: lstm_c, step: 150, count: [0, 16, 64, 128], reference: ref.h5}'
"$G" run "$Y" -q --set output=abl.h5 --set "$ABL" || { fail "ablation run"; exit 1; }
"$PY" - ref.h5 abl.h5 <<'PY' || fail "ablation to the mean"
import sys, h5py, numpy as np
r, a = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
x = r["recording/lstm_c"][:].astype(np.float64).reshape(-1, 128)
m = np.nanmean(x, axis=0).astype(np.float32)          # the mean over valid samples
cnt, units = a["agents/neural_count"][:], a["agents/neural_units"][:]
assert (cnt == np.array([0, 16, 64, 128] * 2)).all(), f"cells {cnt}"
c, cr = a["recording/lstm_c"][:], r["recording/lstm_c"][:]
h, hr = a["recording/lstm_h"][:], r["recording/lstm_h"][:]
w = 150 - 100
for i in range(8):
    u = units[i][units[i] >= 0]
    assert len(u) == cnt[i] and len(set(u)) == len(u), f"agent {i}: units {u}"
    if cnt[i] == 0:
        for l in ("lstm_c", "lstm_h", "mu", "obs"):
            assert np.array_equal(a["recording/" + l][i], r["recording/" + l][i], equal_nan=True), f"0-unit agent {i} differs in {l}"
        continue
    v = c[i, w:, :][:, u]
    ok = ~np.isnan(v[:, 0])
    assert (v[ok] == m[u]).all(), f"agent {i}: ablated units leave the mean"
    assert np.array_equal(c[i, :w], cr[i, :w]) and np.array_equal(h[i, :w], hr[i, :w]), f"agent {i}: changed before step 150"
    rest = np.setdiff1d(np.arange(128), u)
    assert np.array_equal(c[i, w, rest], cr[i, w, rest]) and np.array_equal(h[i, w, rest], hr[i, w, rest]), f"agent {i}: other units changed at the ablation step"
    # h follows c on the ablated units: h = o tanh(c) with the same gate o as the reference
    o = hr[i, w, u] / np.tanh(cr[i, w, u]); keep = np.abs(np.tanh(cr[i, w, u])) > 1e-2
    assert np.allclose(h[i, w, u][keep], (o * np.tanh(m[u]))[keep], atol=1e-5), f"agent {i}: h does not follow the ablated c"
# two agents of one cell draw different units (random per agent, from the global index)
assert not np.array_equal(units[1], units[5]), "agents 1 and 5 drew the same 16 units"
print("ablation: ok")
PY

for np in 2 4; do
  "$MPIEXEC" -n $np --oversubscribe "$G" run "$Y" -q --set output=abl$np.h5 --set "$ABL" || fail "ablation on $np ranks"
  "$H5CHECK" compare abl.h5 abl$np.h5 > cmp.txt && echo "ok   $np ranks bitwise equal to 1" || { fail "$np ranks differ"; cat cmp.txt; }
done

# An offset along PC 1 of lstm_h (analysis with normalization none) moves h by exactly
# value x PC1 at the step, before the head reads it.
cp ref.h5 refpc.h5
"$G" analyze refpc.h5 -q --set analysis.normalize=none --set 'analysis.populations=[lstm_h]' || fail "analyse the reference"
"$G" run "$Y" -q --set output=pc.h5 --set 'neural={kind: offset, layer: lstm_h, pcs: [1], value: 0.5, step: 150, steps: 1, reference: refpc.h5, fraction: 0.5}' || fail "PC offset run"
"$PY" - refpc.h5 pc.h5 <<'PY' || fail "offset along PC 1"
import sys, h5py, numpy as np
r, p = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
e = r["analysis/lstm_h/pca/components"][0]
d = p["recording/lstm_h"][:, 50].astype(np.float64) - r["recording/lstm_h"][:, 50]
for i in range(8):
    if i < 4:
        assert np.abs(d[i] - 0.5 * e).max() < 1e-6, f"agent {i}: moved by {d[i] @ e} along PC1, |rest| {np.abs(d[i] - (d[i] @ e) * e).max()}"
    else:
        assert not d[i].any(), f"unchanged agent {i} moved"
assert (p["agents/neural_units"][:4, 0] == 1).all() and (p["agents/neural_count"][4:] == 0).all()
print("PC offset: ok")
PY

# set on the observation: the policy saw (and the file holds) the value at that step only
"$G" run "$Y" -q --set output=obs.h5 --set 'neural={kind: set, layer: obs, units: [0, 5], value: 3.0, step: 150, steps: 2}' || fail "obs set run"
"$PY" - ref.h5 obs.h5 <<'PY' || fail "set on obs"
import sys, h5py, numpy as np
r, o = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
x, xr = o["recording/obs"][:], r["recording/obs"][:]
assert (x[:, 50:52][:, :, [0, 5]] == 3.0).all(), "obs units 0, 5 not 3.0 at steps 150, 151"
assert np.array_equal(x[:, 50, 1:5], xr[:, 50, 1:5]), "other inputs changed at step 150"
assert not (x[:, 52, 0] == 3.0).all(), "the set outlived neural.steps"
print("obs set: ok")
PY

# gradient ranking: for h, |d mu / d h_j| = |Wo[:, j]| of the policy's head
"$G" run "$Y" -q --set output=gr.h5 --set 'neural={kind: ablate, layer: lstm_h, step: 150, count: [8], select: gradient, reference: ref.h5}' || fail "gradient run"
"$PY" - gr.h5 "$here/../../policies/default.h5" <<'PY' || fail "gradient ranking"
import sys, h5py, numpy as np
g, pol = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
s = np.linalg.norm(pol["actor/mu/weight"][:].astype(np.float64), axis=0)
top = np.sort(np.argsort(-s, kind="stable")[:8])
u = g["agents/neural_units"][:]
assert all((row == top).all() for row in u), f"units {u[0]} != top-8 {top}"
print("gradient ranking: ok", top)
PY

"$G" report abl.h5 > rep.txt || fail "report"
"$PY" - abl.h5 rep.txt <<'PY' || fail "report's ablation rows"
import sys, h5py, numpy as np, re
a = h5py.File(sys.argv[1], "r")["agents"]
rows = [l.split() for l in open(sys.argv[2]) if re.match(r"^\s+ablate\s", l)]
assert len(rows) == 4, f"{len(rows)} ablation rows, want 4 counts"
cnt, fell = a["neural_count"][:], a["fell"][:]
for r in rows:
    k = cnt == int(r[2])
    assert int(r[3]) == k.sum() and abs(float(r[4]) - 100 * fell[k].mean()) < 0.01, f"row {r}"
print("report: ok")
PY

bad() { # expected message fragment, then --set arguments
  local want="$1"; shift
  "$G" run "$Y" -q --set output=bad.h5 "$@" 2> err.txt; rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$want" err.txt; then echo "ok   refused: $want"; else fail "rc $rc for '$want': $(cat err.txt)"; fi
}
bad "needs neural.count" --set 'neural={kind: ablate, step: 150, reference: ref.h5}'
bad "needs neural.reference" --set 'neural={kind: ablate, step: 150, count: [4]}'
bad "does not apply to neural.kind: ablate" --set 'neural={kind: ablate, count: [4], units: [1], reference: ref.h5}'
bad "needs one of neural.units and neural.pcs" --set 'neural={kind: set, step: 150, value: 1}'
bad "whole numbers 0..127" --set 'neural={kind: set, step: 150, units: [128], value: 1}'
bad "do not fill the 3 cells" --set 'neural={kind: ablate, step: 150, count: [0, 1, 2], reference: ref.h5}'
bad "neural.step: 600 is not inside" --set 'neural={kind: zero, units: [1]}'
bad "analysis.normalize" --set 'neural={kind: offset, step: 150, layer: lstm_h, pcs: [1], value: 1, reference: ref.h5}'
[ $fails -eq 0 ] && echo "neural: all passed" || { echo "neural: $fails failed"; exit 1; }
