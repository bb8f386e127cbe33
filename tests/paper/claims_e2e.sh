#!/usr/bin/env bash
# The claims table end to end on small real recordings of the paper's experiments (shipped
# default policy; 1-2 copies, a 7 s window): every claim gets a row, every verdict is one of
# the three words, the measured rows carry numbers, and a missing experiment reads
# "not measured" instead of failing.
set -euo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
small=(--quiet --set env.episode_steps=750 --set sim.record_start=400 --set sim.record_stop=750
       --set 'record=[lstm_h, lstm_c, mu, foot_force]' --set 'analysis.populations=[lstm_h, lstm_c, mu]')
for e in exp1_forward exp1_push exp2_opposing exp3_speed_u; do
  copies=1; [ "$e" = exp1_forward ] && copies=2
  "$GAITLAB_BINARY" run "$GAITLAB_SOURCE_DIR/experiments/paper/$e.yaml" "${small[@]}" \
    --set conditions.copies=$copies --set output=$e.h5
done
"$GAITLAB_BINARY" report --claims exp1_forward.h5 exp1_push.h5 exp2_opposing.h5 exp3_speed_u.h5 > claims.md
cat claims.md
fail() { echo "FAIL: $*"; exit 1; }
head -1 claims.md | grep -qx '| claim | experiment | measure | numbers | verdict |' || fail "header"
for c in C1 C2 C3 C4 C5 C6; do grep -q "^| $c | " claims.md || fail "no row for $c"; done
# every row has 5 cells and a verdict from the three words
tail -n +3 claims.md | awk -F' [|] ' 'NF != 5 { exit 1 }' || fail "a row without 5 cells"
tail -n +3 claims.md | grep -Evq '\| (holds|does not hold|not measured) \|$' && fail "a verdict outside the three words"
# the recorded experiments are measured (numbers, a verdict other than not measured)
for r in '^| C1 | paper_exp1_forward | Q of lstm_c' '^| C2 | paper_exp2_opposing | rotation' \
         '^| C3 | paper_exp3_speed_u | lstm_c: min distance' '^| C4 | paper_exp1_push' '^| C5 | paper_exp3_speed_u'; do
  line=$(grep -F -- "${r#^}" claims.md | head -1) || true
  [ -n "$line" ] || fail "missing row '$r'"
  echo "$line" | grep -q 'not measured |$' && fail "not measured: $line"
  echo "$line" | grep -Eq '[0-9]' || fail "no numbers: $line"
done
grep -q '^| C4 | paper_exp1_push | .*lstm_c: [0-9.]* cycles' claims.md || fail "C4 without a cycle count"
# --recurrent / --actuation choose the layers; without the push file C4 is not measured
"$GAITLAB_BINARY" report --claims exp1_forward.h5 --recurrent lstm_h --actuation mu > h.md
grep -q '^| C1 | paper_exp1_forward | Q of lstm_h vs mu' h.md || fail "--recurrent lstm_h"
grep -q '^| C4 | paper_exp1_push | .*| not measured |$' h.md || fail "C4 without its file"
echo "ok"
