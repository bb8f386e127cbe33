#!/usr/bin/env bash
# Output paths a user can get wrong: each is refused before anything is simulated, with one
# line naming the path and exit 2 (or 3 for a busy output), and nothing of value is touched:
# a directory, a trailing '/', a device, the policy file itself, a second run writing the
# same output, and long paths (which Open MPI's shared-file-pointer component once
# overflowed on).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; Y="$here/data/small.yaml"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # NAME WANT_RC PATTERN -- cmd...
  local name=$1 want=$2 pat=$3; shift 4
  local rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -ne "$want" ]; then fail "$name: exit $rc, expected $want"; echo "$out"; return 1; fi
  if ! grep -qE -- "$pat" <<<"$out"; then fail "$name: output lacks /$pat/"; echo "$out"; return 1; fi
  [ "$(grep -c 'gaitlab: error' <<<"$out")" = 1 ] || { fail "$name: not exactly one error line"; echo "$out"; return 1; }
  echo "ok   $name"
}

mkdir adir
check directory 2 "output 'adir' exists and is not a regular file \(a directory\)" -- "$G" run "$Y" -q --set output=adir
[ -z "$(ls adir)" ] && [ ! -e adir.partial ] || fail "directory: something was written"
check trailing-slash 2 "output 'out/' names a directory" -- "$G" run "$Y" -q --set output=out/
check no-directory 2 "directory 'nodir' does not exist" -- "$G" run "$Y" -q --set output=nodir/x.h5
if [ -c /dev/null ]; then
  check device 2 "output '/dev/null' exists and is not a regular file \(a device" -- "$G" run "$Y" -q --set output=/dev/null
  [ -c /dev/null ] || fail "device: /dev/null is no longer a character device"
fi

# The policy as output: refused, the policy byte-identical afterwards.
cp "$GAITLAB_SOURCE_DIR/policies/default.h5" pol.h5
cp pol.h5 pol.orig
check output-is-policy 2 "output 'pol.h5' is the policy file" -- "$G" run "$Y" -q --set policy=pol.h5 --set output=pol.h5
cmp -s pol.h5 pol.orig || fail "output-is-policy: the policy changed"
ln -s pol.h5 link.h5
check output-is-policy-link 2 "is the policy file" -- "$G" run "$Y" -q --set policy=pol.h5 --set output=link.h5
cmp -s pol.h5 pol.orig || fail "output-is-policy-link: the policy changed"

# Two runs of one output: the second is refused while the first holds the lock; the first
# completes intact and leaves no lock behind.
"$G" run "$Y" -q --set output=busy.h5 --set sim.episode_steps=2000 --set conditions.copies=12 &
first=$!
for _ in $(seq 200); do [ -e busy.h5.lock ] && [ -e busy.h5.partial ] && break; sleep 0.05; done
check busy 3 "another gaitlab process is writing 'busy.h5'" -- "$G" run "$Y" -q --set output=busy.h5
wait $first || fail "busy: the first run failed ($?)"
"$H5CHECK" validity busy.h5 > /dev/null || fail "busy: the first run's file is not valid"
[ ! -e busy.h5.lock ] || fail "busy: lock file left behind"

# A stale lock file (its run was killed) does not block the next run.
: > stale.h5.lock
"$G" run "$Y" -q --set output=stale.h5 && [ -f stale.h5 ] && echo "ok   stale lock taken over" || fail "stale lock blocked the run"

# Long paths: a 250-character directory name, over 2 ranks (MPI-IO opens the file).
long=$(printf 'd%.0s' $(seq 250))
mkdir "$long"
"$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" -q --set "output=$long/x.h5" > long.log 2>&1 \
  && [ -f "$long/x.h5" ] && echo "ok   long path" || { fail "long path"; cat long.log; }

[ $fails -eq 0 ] && echo "output_paths: all passed" || { echo "output_paths: $fails failures"; exit 1; }
