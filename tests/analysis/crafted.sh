#!/usr/bin/env bash
# Recordings altered the way a half-copied or hand-edited file can be: gaitlab analyze
# checks every shape before it reads (no crash, no heap overflow), answers with one line
# naming the file, the HDF5 object and both shapes (exit 2), on 1 and 2 ranks alike; and an
# analysis that fails half-way leaves the previous /analysis exactly as it was.
set -uo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; PY=${GAITLAB_PYTHON:-/usr/bin/python3}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
pops='analysis.populations=[lstm_c,mu]'
"$G" run "$GAITLAB_SOURCE_DIR/experiments/default.yaml" -q --set conditions.copies=1 \
  --set 'conditions.u=[0.6,1.0]' --set output=base.h5 --set 'record=[lstm_c, mu, foot_force]' \
  --set "$pops" || { echo "FAIL base run"; exit 1; }

"$PY" - <<'PYEOF' || { echo "FAIL crafting files with h5py"; exit 1; }
import shutil, h5py, numpy as np
def craft(name, edit):
    shutil.copy("base.h5", name)
    with h5py.File(name, "r+") as f:
        edit(f)
def replace(f, path, data):
    attrs = dict(f[path].attrs)
    del f[path]
    f[path] = data
    for k, v in attrs.items():
        f[path].attrs[k] = v
craft("short_step.h5", lambda f: replace(f, "recording/step", f["recording/step"][:100]))
craft("ff8.h5", lambda f: replace(f, "recording/foot_force", np.concatenate([f["recording/foot_force"][:]] * 2, axis=2)))
craft("ff600.h5", lambda f: replace(f, "recording/foot_force", np.concatenate([f["recording/foot_force"][:], f["recording/foot_force"][:, :100]], axis=1)))
craft("agents3.h5", lambda f: replace(f, "recording/lstm_c", np.concatenate([f["recording/lstm_c"][:], f["recording/lstm_c"][:1]], axis=0)))
craft("step_text.h5", lambda f: replace(f, "recording/step", np.string_("abc")))
def no_ff(f): del f["recording/foot_force"]
craft("no_ff.h5", no_ff)
def bad_cond(f): f["agents/condition"][0] = 99
craft("bad_cond.h5", bad_cond)
def nan_c(f): f["recording/lstm_c"][...] = np.nan
craft("nan_c.h5", nan_c)
PYEOF

check() { # NAME FILE WANT_RC PATTERN
  local name=$1 file=$2 want=$3 pat=$4 np out rc
  for np in 1 2; do
    out=$("$MPIEXEC" -n $np --oversubscribe "$G" analyze "$file" -q --set "$pops" 2>&1); rc=$?
    if [ $rc -ne "$want" ]; then fail "$name np$np: exit $rc, expected $want"; echo "$out"; continue; fi
    [ "$(grep -c 'gaitlab: error' <<<"$out")" = 1 ] || { fail "$name np$np: not one error line"; echo "$out"; continue; }
    grep -qE -- "$pat" <<<"$out" || { fail "$name np$np: lacks /$pat/"; echo "$out"; continue; }
    echo "ok   $name np$np"
  done
}
check short-step short_step.h5 2 "'short_step\.h5': HDF5 dataset '/recording/foot_force' has shape \[2\]\[500\]\[4\], expected \[2\]\[100\]\[4\]"
check foot-force-8-columns ff8.h5 2 "'/recording/foot_force' has shape \[2\]\[500\]\[8\], expected \[2\]\[500\]\[4\]"
check foot-force-600-steps ff600.h5 2 "'/recording/foot_force' has shape \[2\]\[600\]\[4\], expected \[2\]\[500\]\[4\]"
check three-agents agents3.h5 2 "'/recording/lstm_c' has shape \[3\]\[500\]\[128\], expected \[2\]\[500\]\[\*\]"
check step-text step_text.h5 2 "'/recording/step' is not numeric"
check no-foot-force no_ff.h5 2 "'/recording/foot_force' is missing"
check bad-condition bad_cond.h5 2 "agent 0 has condition 99 outside \[0, 2\)"

# A failure half-way through an analysis keeps the previous one: analyse, break lstm_c, analyse
# again (exit 4 naming the population), and /analysis is unchanged.
cp base.h5 again.h5
"$G" analyze again.h5 -q --set "$pops" || fail "first analysis of again.h5"
cp again.h5 before.h5
"$PY" -c 'import h5py, numpy as np; f = h5py.File("again.h5", "r+"); f["recording/lstm_c"][...] = np.nan' || fail "h5py"
out=$("$G" analyze again.h5 -q --set "$pops" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q "'again.h5', population 'lstm_c': non-finite value" <<<"$out" && echo "ok   failed analysis named" || { fail "failed analysis: rc $rc"; echo "$out"; }
h5diff -d 0 before.h5 again.h5 /analysis /analysis > /dev/null && echo "ok   previous /analysis intact" || fail "previous /analysis changed"
h5ls again.h5 | grep -q "analysis.partial" && fail "analysis.partial left behind" || echo "ok   no partial analysis left"

# Unfinished recordings and files another process writes are refused, nothing is changed.
cp base.h5 status.h5
"$PY" -c 'import h5py; f = h5py.File("status.h5", "r+"); f.attrs["status"] = "partial"' || fail "h5py"
check unfinished-status status.h5 2 "'status\.h5' is an unfinished recording \(status 'partial'\)"
cp base.h5 run.h5.partial
check partial-name run.h5.partial 2 "'run\.h5\.partial' is the unfinished output of a run"
cp base.h5 held.h5
if command -v flock > /dev/null; then
  flock held.h5.lock sleep 30 &
  holder=$!
  for _ in $(seq 100); do [ -e held.h5.lock ] && break; sleep 0.05; done
  sleep 0.3
  check locked held.h5 3 "another gaitlab process is writing 'held\.h5'"
  kill $holder 2>/dev/null; wait $holder 2>/dev/null
  cmp -s base.h5 held.h5 || fail "locked: the file changed"
fi

[ $fails -eq 0 ] && echo "crafted: all passed" || { echo "crafted: $fails failures"; exit 1; }
