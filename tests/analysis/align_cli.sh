#!/usr/bin/env bash
# `gaitlab align` end to end on two short real runs of the shipped policy (one agent per
# condition, seeds 1 and 2: the same network, different noise, friction and initial poses):
# exit codes, the printed table, the datasets and conventions of -o's file, atomic output,
# one-line errors (also under 2 ranks: printed once), and no partial output on error.
set -uo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"
fails=0
fail() { echo "FAIL $*"; fails=$((fails+1)); }
check() { # check NAME EXPECTED_RC PATTERN -- command...
  local name=$1 want=$2 pat=$3; shift 4
  local rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then fail "$name: exit $rc, expected $want"; echo "$out"; return; fi
  if ! grep -qE -- "$pat" <<<"$out"; then fail "$name: output lacks /$pat/"; echo "$out"; return; fi
  echo "ok   $name"
}
for s in 1 2; do
  "$G" run "$GAITLAB_SOURCE_DIR/experiments/default.yaml" -q --set conditions.copies=1 --set seed=$s \
    --set output=seed$s.h5 --set 'record=[lstm_c, mu, foot_force]' \
    --set 'analysis.populations=[lstm_c, mu]' || { echo "FAIL run seed $s"; exit 1; }
done

num='[01]\.[0-9]{4}'
row="^seed1 ~ seed2 +$num +$num +$num +\| +$num +$num +\| +$num +$num\$"
check table 0 "$row" -- "$G" align seed1.h5 seed2.h5 -o al.h5 -q
grep -qE "^layer lstm_c: 128 units, [1-7] common conditions? x 50 phase points, 10 PCs per agent$" <<<"$out" || fail "lstm_c header"
grep -qE "^layer mu: 12 units" <<<"$out" || fail "mu header"
[ "$(grep -cE "$row" <<<"$out")" = 2 ] || fail "expected one row per layer (2)"
[ -f al.h5 ] && [ ! -e al.h5.tmp ] || fail "al.h5 missing or al.h5.tmp left behind"
ls=$(h5ls -r al.h5)
for d in "/align/lstm_c/pairs +Dataset \{1, 2\}" "/align/lstm_c/canonical_correlations +Dataset \{1, 10\}" \
         "/align/lstm_c/disparity +Dataset \{1\}" "/align/mu/conditions +Dataset \{[1-7], 3\}" \
         "/align/mu/control_condition_shift/canonical_correlations +Dataset \{1, 10\}" \
         "/align/mu/control_condition_shift/disparity +Dataset \{1\}" \
         "/align/mu/control_phase_shift/canonical_correlations +Dataset \{1, 10\}" \
         "/align/mu/control_phase_shift/disparity +Dataset \{1\}"; do
  grep -qE "^$d" <<<"$ls" || fail "al.h5 lacks $d"
done
attrs=$(h5dump -A al.h5)
for a in files grid_points pcs resampling cca procrustes conditions_rule definition; do
  grep -q "ATTRIBUTE \"$a\"" <<<"$attrs" || fail "al.h5 lacks attribute $a"
done
grep -q '"seed2.h5"' <<<"$attrs" || fail "root attribute files lacks the inputs"
# the real similarity of one policy with itself must exceed the condition-shift control
cc=$(h5dump -d /align/lstm_c/mean_canonical_correlation -y al.h5 | awk '/DATA \{/{getline; print $1}')
cs=$(h5dump -d /align/lstm_c/control_condition_shift/mean_canonical_correlation -y al.h5 | awk '/DATA \{/{getline; print $1}')
awk -v a="$cc" -v b="$cs" 'BEGIN{exit !(a > 0.7 && a > b)}' || fail "lstm_c mean CC $cc not above 0.7 and the control $cs"

check options 0 "^layer mu: 12 units, [1-7] common conditions? x 20 phase points, 3 PCs" -- \
  "$G" align seed1.h5 seed2.h5 -q --set layers=[mu] --set pcs=3 --set grid=20
grep -q "layer lstm_c" <<<"$out" && fail "layers=[mu] still printed lstm_c"

# errors: exit 2, exactly one line, nothing written
check missing-layer 2 "^gaitlab: error: 'seed1\.h5': layer 'gate_fc' is missing \(no HDF5 object /analysis/gate_fc/normalized\); analysed layers there: lstm_c, mu$" -- \
  "$G" align seed1.h5 seed2.h5 -o bad.h5 --set 'layers=[lstm_c, gate_fc]'
[ "$(wc -l <<<"$out")" = 1 ] || fail "missing-layer: more than one line"
[ ! -e bad.h5 ] && [ ! -e bad.h5.tmp ] || fail "missing-layer wrote an output"
check one-file 2 "^gaitlab: error: align needs at least two" -- "$G" align seed1.h5
check no-file 2 "^gaitlab: error: 'nope\.h5': No such file" -- "$G" align seed1.h5 nope.h5
check bad-key 2 "^gaitlab: error: --set pc=3: .*pc" -- "$G" align seed1.h5 seed2.h5 --set pc=3
check too-many-pcs 2 "mu: 20 PCs requested, but .* 12 units allow at most" -- "$G" align seed1.h5 seed2.h5 --set pcs=20
check help 0 "^usage: gaitlab align FILE\.h5 FILE\.h5" -- "$G" align --help
# under 2 ranks: the table and any error appear once
check ranks-ok 0 "$row" -- "$MPIEXEC" -n 2 --oversubscribe "$G" align seed1.h5 seed2.h5 -q --set layers=[mu]
[ "$(grep -c '^layer mu' <<<"$out")" = 1 ] || fail "ranks-ok: table printed more than once"
check ranks-err 2 "layer 'gate_fc' is missing" -- "$MPIEXEC" -n 2 --oversubscribe "$G" align seed1.h5 seed2.h5 --set layers=[gate_fc]
[ "$(grep -c 'gaitlab: error' <<<"$out")" = 1 ] || fail "ranks-err: error printed more than once"

[ "$fails" = 0 ] && echo "align_cli: ok" || { echo "align_cli: $fails failures"; exit 1; }
