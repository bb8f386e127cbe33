#!/usr/bin/env bash
# SIGTERM during `gaitlab analyze` (what SLURM's time limit sends) on 1 and 2 ranks: the
# analysis stops before its next population with exit 75 and one message, the file keeps
# its previous complete /analysis bit for bit (no /analysis.partial left behind), `report`
# still reads it, and analysing again finishes with the result of an uninterrupted run (with
# pca_grid_procs 1, so that 1 and 2 ranks give the same bits).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"; pkill -KILL -f "$work" 2>/dev/null' EXIT
cd "$work"
G="$GAITLAB_BINARY"; PY=${GAITLAB_PYTHON:-/usr/bin/python3}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
cat > rec.yaml <<'Y'
name: analyze_signal
seed: 4
policy: default
output: rec.h5
env:
  episode_steps: 700
sim:
  record_start: 200
  record_stop: 700
conditions:
  u: [0.5, 0.7, 0.9, 1.0]
  copies: 8
Y
"$G" run rec.yaml -q || { fail "recording"; exit 1; }
# the previous good state: an analysis with other settings
"$G" analyze rec.h5 -q --set analysis.pca_components=3 || fail "first analysis"
# the result an uninterrupted second analysis gives
cp rec.h5 want.h5 && "$G" analyze want.h5 -q --set analysis.tangling.epsilon_factor=0.2 --set analysis.pca_grid_procs=1 || fail "uninterrupted analysis"
for np in 1 2; do
  cp rec.h5 t$np.h5
  "$MPIEXEC" -n $np --oversubscribe "$G" analyze t$np.h5 --set analysis.tangling.epsilon_factor=0.2 --set analysis.pca_grid_procs=1 > log$np.txt 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do grep -q "analyze: population" log$np.txt && break; sleep 0.025; done
  pkill -TERM -f "^$G analyze t$np.h5" 2>/dev/null
  wait $pid; rc=$?
  [ $rc -eq 75 ] && echo "ok   $np rank(s): SIGTERM -> exit 75" || { fail "$np rank(s): exit $rc, expected 75"; cat log$np.txt; }
  n=$(grep -c "interrupted before population" log$np.txt)
  [ "$n" -eq 1 ] && echo "ok   $np rank(s): one message" || fail "$np rank(s): $n interruption messages"
  h5diff -d 0 rec.h5 t$np.h5 /analysis /analysis > diff.txt && echo "ok   $np rank(s): previous /analysis intact" || { fail "$np rank(s): /analysis changed"; head diff.txt; }
  "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); assert 'analysis.partial' not in f; assert f['analysis/lstm_c/pca/components'].shape[0] == 3" t$np.h5 \
    && echo "ok   $np rank(s): no partial group, the old 3 PCs" || fail "$np rank(s): partial group or wrong analysis"
  "$G" report t$np.h5 > /dev/null || fail "$np rank(s): report on the interrupted file"
  "$MPIEXEC" -n $np --oversubscribe "$G" analyze t$np.h5 -q --set analysis.tangling.epsilon_factor=0.2 --set analysis.pca_grid_procs=1 || fail "$np rank(s): analysing again"
  # every dataset bitwise (the attributes hold wall times)
  "$PY" - want.h5 t$np.h5 <<'PY' && echo "ok   $np rank(s): rerun equals the uninterrupted analysis" || fail "$np rank(s): rerun differs"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = []
a["analysis"].visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
assert len(names) > 20, names
for n in names:
    x, y = a["analysis/" + n][()], b["analysis/" + n][()]
    assert x.shape == y.shape and (x.tobytes() == y.tobytes()), n
PY
done
[ $fails -eq 0 ] && echo "analyze signal: all passed" || { echo "analyze signal: $fails failed"; exit 1; }
