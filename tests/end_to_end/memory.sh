#!/usr/bin/env bash
# Memory planned up front: a run or a training that cannot fit is refused before anything is
# allocated or written, with both sizes and the limit that binds (exit 5), for each kind of
# limit (MemAvailable, SLURM --mem on 1 and 2 ranks, --max-memory, ulimit -v); validate prints
# the plan; and the plan agrees with the peak resident memory the job then reaches.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; E="$GAITLAB_SOURCE_DIR/experiments/default.yaml"
T="$GAITLAB_SOURCE_DIR/experiments/train_flat.yaml"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# A sanitized binary maps terabytes of shadow memory and keeps freed blocks in quarantine:
# address-space limits and peak-vs-plan comparisons say nothing about it.
asan=0; ldd "$G" 2>/dev/null | grep -q libasan && asan=1
small=(--set conditions.copies=40 --set env.episode_steps=60 --set sim.record_start=10 --set sim.record_stop=60)
re_need='needs about [0-9.e+]+ GB per rank but [0-9.e+]+ GB is available per rank'

out=$("$G" validate "$E" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -qE "^memory: about [0-9.e+-]+ GB per rank for gaitlab run \(32 agents per batch x 500 window steps x [0-9]+ recorded floats" <<<"$out" \
  && echo "ok   validate prints the plan" || { fail "validate plan: rc $rc"; echo "$out"; }
out=$("$G" validate "$T" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -qE "^memory: about [0-9.e+-]+ GB per rank for gaitlab train \(512 of 512 envs" <<<"$out" \
  && echo "ok   validate prints the training plan" || { fail "validate training plan: rc $rc"; echo "$out"; }

# A window of a million steps does not fit on any machine this runs on (about 126 GB).
out=$("$G" validate "$E" --set env.episode_steps=1000000 --set sim.record_stop=1000000 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "does NOT fit on this node" <<<"$out" && echo "ok   validate says it does not fit" || { fail "validate no-fit: rc $rc"; echo "$out"; }
out=$(timeout 60 "$G" run "$E" -q --set env.episode_steps=1000000 --set sim.record_stop=1000000 --set output=w.h5 2>&1); rc=$?
[ $rc -eq 5 ] && grep -qE "$re_need \([0-9.e+]+ GB available \(MemAvailable\)" <<<"$out" && [ ! -e w.h5.partial ] && [ ! -e w.h5 ] \
  && echo "ok   huge window refused up front, nothing written" || { fail "huge window: rc $rc"; echo "$out"; }
out=$(timeout 60 "$G" train "$T" -q --set train.num_envs=10000000 --set output=tr 2>&1); rc=$?
[ $rc -eq 5 ] && grep -qE "gaitlab train \(10000000 of 10000000 envs.* $re_need" <<<"$out" && [ ! -e tr/checkpoint.h5 ] \
  && echo "ok   1e7 envs refused up front" || { fail "1e7 envs: rc $rc"; echo "$out"; }

out=$(SLURM_MEM_PER_NODE=64 timeout 60 "$G" run "$E" -q --set output=s.h5 2>&1); rc=$?
[ $rc -eq 5 ] && grep -qE "$re_need \(0.0671 GB per node \(SLURM --mem\), shared by 1 rank on this node\)" <<<"$out" \
  && echo "ok   SLURM --mem honoured" || { fail "SLURM_MEM_PER_NODE: rc $rc"; echo "$out"; }
out=$(SLURM_MEM_PER_NODE=150 timeout 120 "$MPIEXEC" -n 2 --oversubscribe -x SLURM_MEM_PER_NODE "$G" run "$E" -q --set output=s2.h5 2>&1); rc=$?
n=$(grep -c "gaitlab: error" <<<"$out")
[ $rc -eq 5 ] && [ "$n" = 1 ] && grep -q "shared by 2 ranks on this node" <<<"$out" \
  && echo "ok   SLURM --mem shared by 2 ranks, one message" || { fail "2 ranks: rc $rc, $n messages"; echo "$out"; }
out=$(timeout 60 "$G" run "$E" -q --max-memory 50M --set output=m.h5 2>&1); rc=$?
[ $rc -eq 5 ] && grep -q "(--max-memory)" <<<"$out" && echo "ok   --max-memory honoured" || { fail "--max-memory: rc $rc"; echo "$out"; }
out=$("$G" run "$E" -q --max-memory 4Q --set output=m.h5 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "expected a positive size" <<<"$out" && echo "ok   bad --max-memory refused" || { fail "bad size: rc $rc"; echo "$out"; }
out=$(timeout 120 "$G" run "$E" -q --max-memory 8G "${small[@]}" --set output=ok.h5 2>&1); rc=$?
[ $rc -eq 0 ] && [ -e ok.h5 ] && echo "ok   a run that fits --max-memory runs" || { fail "fitting run: rc $rc"; echo "$out"; }

if [ $asan -eq 0 ]; then
  # 1 024 agents x 500 steps of every layer: about 4 GB of address space.
  out=$( (ulimit -v 3000000; timeout 60 "$G" run "$E" -q --set sim.batch=1024 --set output=v.h5) 2>&1); rc=$?
  [ $rc -eq 5 ] && grep -qE "allocates about [0-9.e+]+ GB per rank but only [0-9.e+]+ GB can be allocated \([0-9.e+]+ GB of address space left under ulimit -v\)" <<<"$out" \
    && echo "ok   ulimit -v honoured" || { fail "ulimit -v: rc $rc"; echo "$out"; }
  # The plan against what happened: the peak growth of resident memory must be within
  # [0.6, 1.3] of the plan (a plan far above would refuse jobs that fit; below, admit
  # jobs that do not).
  check_peak() {
    local what=$1 log=$2
    read -r peak plan < <(sed -nE 's/.*memory: peak ([0-9.e+-]+) GB per rank above start-up \(planned ([0-9.e+-]+) GB\).*/\1 \2/p' <<<"$log")
    if [ -z "${peak:-}" ]; then fail "$what: no memory line"; echo "$log"; return; fi
    awk -v p="$peak" -v q="$plan" 'BEGIN { r = p / q; exit !(r >= 0.6 && r <= 1.3) }' \
      && echo "ok   $what: peak $peak GB, planned $plan GB" || fail "$what: peak $peak GB against a plan of $plan GB"
  }
  check_peak "run, 256 agents per batch" "$("$G" run "$E" --set sim.batch=256 "${small[@]}" --set output=p.h5 2>&1)"
  check_peak "train, 256 envs" "$("$G" train "$T" --set train.num_envs=256 --set train.max_iterations=2 --set output=tp 2>&1)"
  check_peak "train, 2 ranks" "$("$MPIEXEC" -n 2 --oversubscribe "$G" train "$T" --set train.num_envs=256 --set train.max_iterations=2 --set output=tp2 2>&1)"
else
  echo "memory: sanitized binary: the refusals above ran; ulimit -v and peak-vs-plan are checked by the plain build"
fi
[ $fails -eq 0 ] && echo "memory: all passed" || { echo "memory: $fails failures"; exit 1; }
