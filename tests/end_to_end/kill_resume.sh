#!/usr/bin/env bash
# Kill `gaitlab run` at random points with SIGTERM (graceful: exit 75) or SIGKILL (abrupt:
# at most the current block is lost), on 1 and 2 ranks, resume with --resume (on a possibly
# different rank count) and require the final file to equal an uninterrupted run bit for bit.
# ROUNDS (default 10) repetitions; the seed of the random kill times is printed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"; pkill -KILL -f "$work" 2>/dev/null' EXIT
cd "$work"
G="$GAITLAB_BINARY"; Y="$here/data/kill.yaml"
rounds=${ROUNDS:-10}
RANDOM=${KILL_SEED:-$$}; echo "kill seed: ${KILL_SEED:-$$}"
"$G" run "$Y" --quiet --set output="$work/ref.h5" || { echo "reference run failed"; exit 1; }
fails=0
for i in $(seq 1 "$rounds"); do
  np=$(( (i % 2) + 1 )); sig=$([ $((i % 4)) -lt 2 ] && echo TERM || echo KILL)
  out="$work/k$i.h5"
  "$MPIEXEC" -n $np --oversubscribe "$G" run "$Y" --quiet --set output="$out" >/dev/null 2>&1 &
  pid=$!
  # Kill only once the run is under way (its .partial exists, so the signal handlers are
  # installed): a signal during process start-up is the launcher's business, not ours.
  for _ in $(seq 1 600); do [ -e "$out.partial" ] && break; sleep 0.05; done
  delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1.5 * r / 32767 }')
  sleep "$delay"
  # SIGTERM goes to every rank, as srun and SLURM's time limit deliver it (mpirun instead
  # forwards SIGUSR1, which gaitlab treats the same); SIGKILL is the abrupt death of the
  # ranks, as on a node failure.
  pkill -$sig -f "^$G run $Y --quiet --set output=$out" 2>/dev/null
  wait $pid; rc=$?
  if [ $sig = TERM ] && [ $rc -ne 75 ] && [ $rc -ne 0 ]; then
    echo "round $i: SIGTERM gave exit $rc, expected 75 (or 0 if already finished)"; fails=$((fails + 1))
  fi
  tries=0
  while [ ! -f "$out" ] && [ $tries -lt 4 ]; do
    rnp=$(( ((i + tries) % 2) + 1 ))
    "$MPIEXEC" -n $rnp --oversubscribe "$G" run "$Y" --quiet --set output="$out" --resume >/dev/null 2>"$work/resume.err"
    r2=$?
    [ $r2 -ne 0 ] && { echo "round $i: resume exited $r2"; cat "$work/resume.err"; }
    tries=$((tries + 1))
  done
  if [ -f "$out" ] && [ ! -e "$out.partial" ] && "$H5CHECK" compare "$work/ref.h5" "$out" >/dev/null; then
    echo "round $i: np $np SIG$sig after ${delay}s (first exit $rc) -> resumed, bitwise identical"
  else
    echo "round $i: np $np SIG$sig after ${delay}s (first exit $rc) -> FAILED"; "$H5CHECK" compare "$work/ref.h5" "$out"
    fails=$((fails + 1))
  fi
  rm -f "$out"
done
[ $fails -eq 0 ] && echo "kill/resume: $rounds of $rounds identical" || { echo "kill/resume: $fails of $rounds failed"; exit 1; }
