#!/usr/bin/env bash
# `gaitlab analyze FILE` starts from the analysis: block the recording was made with: a
# re-analysis without --set gives the run's own /analysis bit for bit (here the paper preset,
# whose backward derivative differs from the default), one --set changes that key and keeps
# the others, and a recording without a block gets the defaults. Also on 2 ranks.
set -uo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; PY=${GAITLAB_PYTHON:-/usr/bin/python3}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
cat > rec.yaml <<'Y'
name: reanalyze
seed: 3
policy: default
output: rec.h5
env:
  episode_steps: 500
sim:
  record_start: 150
  record_stop: 500
conditions:
  u: [0.6, 1.0]
  copies: 4
record: [lstm_c, mu, foot_force]
analysis:
  preset: paper
  populations: [lstm_c, mu]
Y
"$MPIEXEC" -n 2 --oversubscribe "$G" run rec.yaml -q || { fail "recording"; exit 1; }
# same: every dataset under /analysis of A equals B's bit for bit; differ: names those that do not
cmp_py='
import sys, h5py
a, b = h5py.File(sys.argv[1], "r")["analysis"], h5py.File(sys.argv[2], "r")["analysis"]
out = []
def visit(n, o):
    if isinstance(o, h5py.Dataset) and (n not in b or o[()].tobytes() != b[n][()].tobytes()):
        out.append(n)
a.visititems(visit)
print(" ".join(out))'
attr() { "$PY" -c "import sys, h5py; print(h5py.File(sys.argv[1], 'r')['analysis/lstm_c'].attrs['$2'])" "$1"; }

for np in 1 2; do
  cp rec.h5 again$np.h5
  "$MPIEXEC" -n $np --oversubscribe "$G" analyze again$np.h5 > log$np.txt 2>&1 || fail "re-analysis on $np rank(s): $(tail -2 log$np.txt)"
  grep -q "settings: the analysis: block the file was recorded with" log$np.txt || fail "log does not say where the settings come from"
  d=$("$PY" -c "$cmp_py" rec.h5 again$np.h5)
  [ -z "$d" ] && echo "ok   $np rank(s): re-analysis equals the run's own analysis" || fail "$np rank(s): these differ from the run's analysis: $d"
done
[ "$(attr again1.h5 tangling_derivative)" = backward ] || fail "the paper preset's backward derivative was not kept"

cp rec.h5 periodic.h5
"$G" analyze periodic.h5 -q --set analysis.tangling.derivative=periodic_backward || fail "analysis with one key changed"
[ "$(attr periodic.h5 tangling_derivative)" = periodic_backward ] && echo "ok   --set changes its key" || fail "derivative not changed"
d=$("$PY" -c "$cmp_py" rec.h5 periodic.h5)
grep -q "lstm_c/tangling/q" <<<"$d" || fail "tangling did not change with its derivative"
grep -q "pca" <<<"$d" && fail "PCA changed although only the derivative did: $d" || echo "ok   the other settings are kept (PCA unchanged)"

# a recording without an analysis: block gets the defaults
sed '/^analysis:/,$d' rec.yaml | sed 's/output: rec.h5/output: plain.h5/' > plain.yaml
"$G" run plain.yaml -q || fail "plain recording"
"$G" analyze plain.h5 --set 'analysis.populations=[lstm_c, mu]' > logp.txt 2>&1 || fail "plain analysis"
grep -q "settings: the defaults, then the --set overrides" logp.txt || fail "log for a file without a block: $(cat logp.txt)"
[ "$(attr plain.h5 tangling_derivative)" = periodic_backward ] && echo "ok   no block: the defaults" || fail "defaults not used: $(attr plain.h5 tangling_derivative)"
[ $fails -eq 0 ] && echo "reanalyze: all passed" || { echo "reanalyze: $fails failure(s)"; exit 1; }
