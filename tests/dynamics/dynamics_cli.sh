#!/usr/bin/env bash
# `gaitlab dynamics` end to end on a tiny run of the shipped policy: the output groups, and
# one-line exit-2 errors for a wrong file, a bad key, a bad value and a missing layer.
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
"$G" run "$GAITLAB_SOURCE_DIR/tests/end_to_end/data/small.yaml" -q --set policy=default --set output=s.h5 \
  --set 'record=[obs, lstm_h, lstm_c]' || { echo "FAIL run"; exit 1; }
"$G" run "$GAITLAB_SOURCE_DIR/tests/end_to_end/data/small.yaml" -q --set policy=default --set output=mu.h5 \
  --set 'record=[mu]' || { echo "FAIL run"; exit 1; }
check ok 0 "dynamics: zero: [0-9]+ unique points from 4" -- "$G" dynamics s.h5 --set dynamics.inits=4 --set dynamics.max_iter=5
h5ls -r s.h5 | grep -q "^/dynamics/fixed_points/zero/jacobian_x \+Dataset {[0-9]*, 256, 256}" || fail "no jacobian_x"
check out 0 "condition_3" -- "$G" dynamics s.h5 -o o.h5 --set dynamics.inits=2 --set dynamics.max_iter=2 --set dynamics.input=condition_mean
[ -f o.h5 ] && [ ! -e o.h5.tmp ] || fail "o.h5 missing or o.h5.tmp left"
check no-file 2 "^gaitlab: error: 'nope\.h5': No such file" -- "$G" dynamics nope.h5
check bad-key 2 "^gaitlab: error: .*dynamics\.bogus.*allowed" -- "$G" dynamics s.h5 --set dynamics.bogus=1
check bad-input 2 "^gaitlab: error: .*dynamics\.input.*(zero|allowed)" -- "$G" dynamics s.h5 --set dynamics.input=mean
check not-dyn 2 "^gaitlab: error: --set seed=1: dynamics only accepts dynamics\.\* keys" -- "$G" dynamics s.h5 --set seed=1
check no-layer 2 "^gaitlab: error: 'mu\.h5': HDF5 dataset '/recording/lstm_h' is missing; record lstm_h" -- "$G" dynamics mu.h5
[ "$(wc -l <<<"$out")" = 1 ] || fail "no-layer: more than one line"
check bad-policy 2 "^gaitlab: error: policy 'nosuch'" -- "$G" dynamics s.h5 --policy nosuch
check help 0 "^usage: gaitlab dynamics FILE\.h5" -- "$G" dynamics --help
[ "$fails" = 0 ] && echo "dynamics_cli: ok" || { echo "dynamics_cli: $fails failures"; exit 1; }
