#!/usr/bin/env bash
# Faults: fallen and non-finite agents are flagged and invalidated while the others keep
# recording; an error on any rank ends every rank promptly with one message and leaves no
# file that claims to be complete.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; Y="$here/data/kill.yaml"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# 1. A non-finite state in agent 5 at step 70 (window starts at 50): only agent 5 is flagged,
#    its samples from step 70 are NaN, everything else is finite and equal to a clean run.
GAITLAB_FAULT=nan:5:70 "$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" --quiet --set output=nan.h5 --set perturbation.kind=none || fail "nan run exited $?"
out=$("$H5CHECK" validity nan.h5) || fail "nan validity: $out"
grep -q "fell 1: 5@70$" <<<"$out" && echo "ok   non-finite agent flagged: $out" || fail "nan: expected only agent 5 at step 70, got: $out"

# 2. Violent pushes: the pushed half of the copies fall, their samples are invalidated, the
#    tracking table excludes them and records the fall rate.
"$G" run "$Y" --quiet --set output=push.h5 --set perturbation.vx=6 --set perturbation.fraction=0.5 || fail "push run exited $?"
out=$("$H5CHECK" validity push.h5) || fail "push validity: $out"
nf=$(sed -n 's/.*fell \([0-9]*\):.*/\1/p' <<<"$out")
[ "${nf:-0}" -ge 12 ] && [ "${nf:-0}" -lt 48 ] && echo "ok   falls flagged ($nf of 48)" || fail "push: expected 12..47 falls, got '$nf'"

# 3. Rank faults on 2 ranks: exit code, exactly one message, no hang, nothing complete.
rankfault() { # NAME WANT_RC PATTERN OUTPUT -- cmd...
  local name=$1 want=$2 pat=$3 o=$4; shift 5
  local out rc n
  out=$(timeout 120 "$@" 2>&1); rc=$?
  n=$(grep -c "gaitlab: error" <<<"$out")
  if [ $rc -eq 124 ]; then fail "$name: hung"; return; fi
  if [ $rc -ne $want ] || [ "$n" -ne 1 ] || ! grep -qE "$pat" <<<"$out"; then fail "$name: rc $rc (want $want), $n messages"; echo "$out"; return; fi
  [ -e "$o" ] && { fail "$name: left $o"; return; }
  echo "ok   $name"
}
rankfault missing-policy 2 "cannot read policy file 'nope.h5'" mp.h5 -- "$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" --quiet --set policy=nope.h5 --set output=mp.h5
printf 'not an hdf5 file\n' > bad_policy.h5
rankfault corrupt-policy 2 "bad_policy\.h5" cp.h5 -- "$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" --quiet --set policy=bad_policy.h5 --set output=cp.h5
rankfault unwritable 2 "directory 'nodir' does not exist" nodir/x.h5 -- "$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" --quiet --set output=nodir/x.h5
rankfault rank1-error 1 "injected fault on rank 1 before block 2" inj.h5 -- env GAITLAB_FAULT=error:1:2 "$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" --quiet --set output=inj.h5
[ -e inj.h5.partial ] && echo "ok   rank1-error kept inj.h5.partial for --resume" || fail "rank1-error: no .partial kept"
[ $fails -eq 0 ] && echo "faults: all ok" || { echo "faults: $fails failures"; exit 1; }
