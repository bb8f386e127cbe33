#!/usr/bin/env bash
# Force disturbances end to end: the grid and onset rule as recorded (read back with h5py,
# independently of gaitlab's readers), a zero force changing no bit of the physics, the
# same file on 1, 2 and 3 ranks, the report's fall rates recounted from /agents, and the
# refused configurations.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; Y="$here/data/force.yaml"; PY=${GAITLAB_PYTHON:-/usr/bin/python3}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

"$G" run "$Y" -q --set output=f1.h5 || { fail "run"; exit 1; }
"$PY" - f1.h5 <<'PY' || fail "recorded grid and onsets"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); a = f["agents"]
copy, cond = a["copy"][:], a["condition"][:]
mag, dur, on = a["force_magnitude"][:], a["force_duration"][:], a["force_onset_step"][:]
pert = a["perturbed"][:].astype(bool)
assert (pert == (copy < 4)).all(), "fraction 0.5 of 8 copies: copies 0-3 disturbed"
cell = copy % 4
want_mag = np.where(pert, np.array([0, 0, 1, 1])[cell], 0)
want_dur = np.where(pert, np.array([0.1, 0.2, 0.1, 0.2])[cell], 0)
assert np.allclose(mag, want_mag) and np.allclose(dur, want_dur, atol=1e-7), "magnitude-major cells"
assert (on[~pert] == -1).all(), "undisturbed agents have no onset"
ff = f["recording/foot_force"][:, :, 1]           # RF, window steps 100..249
fell, fall = a["fell"][:], a["fall_step"][:]
for i in np.flatnonzero(pert):
    assert on[i] >= 0, f"agent {i}: no onset"
    s = on[i] - 1 - 2                                # the touchdown step (delay 40 ms = 2 steps)
    w = s - 100
    assert ff[i, w] > 1 and ff[i, w - 1] <= 1, f"agent {i}: onset {on[i]} does not follow a touchdown + 2 steps"
    prev = np.flatnonzero((ff[i, 1:w - 1 + 1] > 1) & (ff[i, :w - 1] <= 1)) + 1 + 100
    assert not any(p >= 150 for p in prev), f"agent {i}: an earlier touchdown after step 150 at {prev}"
print("grid and onsets: ok,", int(pert.sum()), "disturbed agents")
PY

# A zero force goes through the same physics path as no force and changes no bit.
"$G" run "$Y" -q --set output=zero.h5 --set 'perturbation.magnitude=[0]' --set 'perturbation.duration=[0.1]' || fail "zero run"
"$G" run "$Y" -q --set output=none.h5 --set 'perturbation={kind: none}' || fail "no-force run"
for l in lstm_c mu foot_force; do
  h5diff -d 0 zero.h5 none.h5 /recording/$l /recording/$l > /dev/null && echo "ok   zero force = no force: /recording/$l" || fail "zero force changed /recording/$l"
done

for np in 2 3; do
  "$MPIEXEC" -n $np --oversubscribe "$G" run "$Y" -q --set output=f$np.h5 || fail "run on $np ranks"
  "$H5CHECK" compare f1.h5 f$np.h5 > cmp.txt && echo "ok   $np ranks bitwise equal to 1" || { fail "$np ranks differ"; cat cmp.txt; }
done

"$G" report f1.h5 > rep.txt || fail "report"
"$PY" - f1.h5 rep.txt <<'PY' || fail "report's fall rates"
import sys, h5py, numpy as np, re
a = h5py.File(sys.argv[1], "r")["agents"]
rows = [l.split() for l in open(sys.argv[2]) if re.match(r"^\s+\d+\s+[-0-9.]+\s+[-0-9.]+\s+[-0-9.]+\s+[0-9.e+-]+\s+[0-9.e+-]+\s+\d+\s+\d+\s+[0-9.]+\s+\S+\s+\S+$", l)]
assert len(rows) == 8, f"{len(rows)} robustness rows, want 2 conditions x 4 cells"
pert = a["perturbed"][:].astype(bool); on = a["force_onset_step"][:]
for r in rows:
    c, m, d = int(r[0]), float(r[4]), float(r[5])
    k = pert & (a["condition"][:] == c) & np.isclose(a["force_magnitude"][:], m) & np.isclose(a["force_duration"][:], d)
    app = k & (on >= 0)
    assert int(r[6]) == k.sum() and int(r[7]) == app.sum(), r
    rate = 100 * a["fell"][:][app].sum() / app.sum()
    assert abs(float(r[8]) - rate) < 0.005, (r, rate)
print("report: 8 cells, fall rates equal a recount from /agents")
PY

# With the analysis, the return of lstm_c to its limit cycle is measured per trial (C4's
# measure): undisturbed-force control cells all return, and no cell recovers more trials
# than stood.
"$G" analyze f1.h5 -q --set 'analysis.populations=[lstm_c, mu]' > /dev/null || fail "analysis"
"$G" report f1.h5 > rep2.txt || fail "report after the analysis"
"$PY" - rep2.txt <<'PY' || fail "recovery columns"
import sys, re
rows = [l.split() for l in open(sys.argv[1]) if re.match(r"^\s+\d+\s+[-0-9.]+\s+[-0-9.]+\s+[-0-9.]+\s+[0-9.e+-]+\s+[0-9.e+-]+\s+\d+\s+\d+\s+[0-9.]+\s+\S+\s+\S+$", l)]
assert len(rows) == 8
for r in rows:
    mag, fall, rec, cyc = float(r[4]), float(r[8]), r[9], r[10]
    if mag == 0:
        assert rec == "100.0" and float(cyc) >= 0, r
    if fall < 100:
        assert rec != "n/a" and 0 <= float(rec) <= 100, r
print("recovery: control cells all returned;", ", ".join(f"{r[4]} bw {r[5]} s: {r[9]} % after {r[10]}" for r in rows))
PY

check_refused() {  # check_refused WHAT PATTERN ARGS...: exit 2 and the message
  local what=$1 pat=$2; shift 2
  out=$("$G" run "$Y" -q --set output=bad.h5 "$@" 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "$pat" <<<"$out" && [ ! -e bad.h5 ] && echo "ok   refused: $what" || { fail "$what: rc $rc"; echo "$out"; }
}
check_refused "force keys with kind velocity" "applies only to perturbation.kind: force" --set perturbation.kind=velocity
check_refused "uneven cells" "do not fill the 2 x 2 magnitude x duration cells evenly" --set perturbation.fraction=0.75
check_refused "zero direction" "perturbation.direction: need 3 numbers" --set 'perturbation.direction=[0, 0, 0]'
check_refused "negative magnitude" "perturbation.magnitude" --set 'perturbation.magnitude=[-1]'
[ $fails -eq 0 ] && echo "force: all passed" || { echo "force: $fails failures"; exit 1; }
