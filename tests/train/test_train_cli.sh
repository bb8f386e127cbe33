#!/bin/bash
# `gaitlab train` on the real ANYmal task, tiny sizes: end-to-end run on 2 ranks, refusal to
# overwrite a run, bit-exact --resume (2 + 2 iterations == 4 straight, compared with h5diff
# on weights, Adam moments and every env's state), SIGTERM -> clean checkpoint + exit 75 ->
# resume on another rank count, schema errors with file:line:col marks.
# G is the gaitlab binary.
set -u
G=${GAITLAB_BINARY:?}
MPI="${MPIEXEC:-mpiexec} --oversubscribe"
YAML=${GAITLAB_SOURCE_DIR:?}/experiments/train_flat.yaml
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
SMALL=(--set train.num_envs=6 --set train.horizon=8 --set train.minibatches=2
       --set train.epochs=2 --set env.push_interval=5)
fail() { echo "FAIL: $*"; exit 1; }
# values of the log's iteration column, space separated (first DATA block of h5dump)
rows() { h5dump -d /iteration -y -w 0 "$1" | awk '/DATA {/{f=1;next} f&&/}/{exit} f' |
         grep -o '[0-9][0-9.e+]*' | tr '\n' ' '; }

# 1. straight 4 iterations on 2 ranks
$MPI -n 2 "$G" train "$YAML" -o "$W/a" "${SMALL[@]}" --set train.max_iterations=4 -q ||
  fail "straight run failed"
for f in checkpoint.h5 train_log.h5 policy.h5; do [ -s "$W/a/$f" ] || fail "missing $f"; done
[ "$(rows "$W/a/train_log.h5")" = "1 2 3 4 " ] || fail "log rows: $(rows "$W/a/train_log.h5")"
h5dump -d /provenance/train_yaml "$W/a/policy.h5" | grep -q "num_envs: 6" ||
  fail "policy.h5 lacks the effective training YAML as provenance"

# 2. the same output without --resume is refused
$MPI -n 2 "$G" train "$YAML" -o "$W/a" "${SMALL[@]}" --set train.max_iterations=4 -q 2>"$W/err"
rc=$?
[ $rc -eq 2 ] || fail "overwrite: expected exit 2, got $rc"
grep -q -- "--resume" "$W/err" || fail "overwrite message: $(cat "$W/err")"

# 3. 2 iterations, then --resume to 4: bitwise identical to the straight run
$MPI -n 2 "$G" train "$YAML" -o "$W/b" "${SMALL[@]}" --set train.max_iterations=2 -q || fail "run b"
$MPI -n 2 "$G" train "$YAML" -o "$W/b" "${SMALL[@]}" --set train.max_iterations=4 -q --resume ||
  fail "resume b"
for d in params adam_m adam_v obs_norm_mean obs_norm_var env_records; do
  h5diff "$W/a/checkpoint.h5" "$W/b/checkpoint.h5" /$d /$d >/dev/null || fail "resume differs in /$d"
done
[ "$(rows "$W/b/train_log.h5")" = "1 2 3 4 " ] || fail "resumed log rows: $(rows "$W/b/train_log.h5")"

# 4. SIGTERM (one rank, signalled directly as SLURM would): checkpoint, exit 75, then resume
#    on 2 ranks (the checkpoint holds every env in global order)
"$G" train "$YAML" -o "$W/c" "${SMALL[@]}" --set train.max_iterations=100000 2>"$W/log_c" &
pid=$!
for _ in $(seq 600); do grep -q " it 3 " "$W/log_c" && break; sleep 0.1; done
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 75 ] || fail "SIGTERM: expected exit 75, got $rc: $(tail -3 "$W/log_c")"
grep -q "interrupted" "$W/log_c" || fail "SIGTERM message: $(tail -3 "$W/log_c")"
n=$(rows "$W/c/train_log.h5" | wc -w)
[ "$n" -ge 3 ] || fail "interrupted log has $n rows"
$MPI -n 2 "$G" train "$YAML" -o "$W/c" "${SMALL[@]}" --set train.max_iterations=$((n + 2)) --resume \
  2>"$W/log_c2" || fail "resume after SIGTERM: $(tail -3 "$W/log_c2")"
grep -q "resumed from" "$W/log_c2" || fail "no resume line"
[ "$(rows "$W/c/train_log.h5" | wc -w)" -eq $((n + 2)) ] || fail "log after resume"

# 5. --resume with no checkpoint refuses (a mistyped directory must not start over silently);
#    --resume-or-start starts there
$MPI -n 2 "$G" train "$YAML" -o "$W/e" "${SMALL[@]}" --set train.max_iterations=1 -q --resume 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "no checkpoint '$W/e/checkpoint.h5' to continue" "$W/err" && [ ! -e "$W/e/train_log.h5" ] ||
  fail "--resume without checkpoint: rc $rc $(cat "$W/err")"
$MPI -n 2 "$G" train "$YAML" -o "$W/e" "${SMALL[@]}" --set train.max_iterations=1 -q --resume-or-start ||
  fail "--resume-or-start"
[ "$(rows "$W/e/train_log.h5")" = "1 " ] || fail "--resume-or-start log rows"

# 6. a physics blow-up stops training with exit 4 and names the settings
"$G" train "$YAML" -o "$W/f" "${SMALL[@]}" --set env.timestep=0.05 --set train.max_iterations=3 -q 2>"$W/err"
rc=$?
[ $rc -eq 4 ] && grep -q "the physics blew up (env.timestep = 0.05 s" "$W/err" ||
  fail "blow-up: rc $rc $(cat "$W/err")"

# 7. a damaged checkpoint is refused with the file, the object and what is allowed, and
#    nothing of the run is overwritten (crafted with h5py from the run of 1.)
PY=${GAITLAB_PYTHON:-/usr/bin/python3}
craft() { # craft NAME PYTHON-STATEMENT-ON-f: copy run a to W/NAME and damage its checkpoint
  rm -rf "$W/$1"; cp -r "$W/a" "$W/$1"
  "$PY" -c "import h5py, numpy as np
with h5py.File('$W/$1/checkpoint.h5', 'r+') as f: $2" || fail "craft $1"
  cp "$W/$1/checkpoint.h5" "$W/$1/ckpt.before"; cp "$W/$1/policy.h5" "$W/$1/policy.before"
}
refused() { # refused NAME PATTERN
  $MPI -n 2 "$G" train "$YAML" -o "$W/$1" "${SMALL[@]}" --set train.max_iterations=6 -q --resume 2>"$W/err"
  local rc=$?
  [ $rc -eq 2 ] && [ "$(grep -c 'gaitlab: error' "$W/err")" = 1 ] && grep -q "checkpoint '$W/$1/checkpoint.h5'" "$W/err" &&
    grep -q -- "$2" "$W/err" || fail "$1: rc $rc $(cat "$W/err")"
  cmp -s "$W/$1/checkpoint.h5" "$W/$1/ckpt.before" && cmp -s "$W/$1/policy.h5" "$W/$1/policy.before" ||
    fail "$1: the refused run changed its files"
}
craft neg_iter "f.attrs['iteration'] = -3.0"
refused neg_iter "attribute iteration = -3; allowed: an integer >= 0"
craft neg_var "f.attrs['value_norm_var'] = -1.0"
refused neg_var "attribute value_norm_var = -1; allowed: a finite value > 0"
craft nan_w "p = f['params'][...]; p[17] = np.nan; p[20] = np.inf; f['params'][...] = p"
refused nan_w "HDF5 object /params \[[0-9]*\] has 2 entries that are not finite (the first at index 17: nan)"
craft neg_obsvar "v = f['obs_norm_var'][...]; v[3] = -0.5; f['obs_norm_var'][...] = v"
refused neg_obsvar "HDF5 object /obs_norm_var \[[0-9]*\] has 1 entry that is negative or not finite (the first at index 3: -0.5)"
craft bad_off "o = f['env_offsets'][...]; o[2], o[3] = o[3], o[2]; f['env_offsets'][...] = o"
refused bad_off "HDF5 object /env_offsets decreases at env"

# 8. schema errors name the file position and the key
$MPI -n 2 "$G" train "$YAML" -o "$W/d" --set train.horizon=0 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "train.horizon" "$W/err" || fail "horizon=0: rc $rc $(cat "$W/err")"
$MPI -n 2 "$G" train "$YAML" -o "$W/d" --set train.seq_len=5 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "seq_len" "$W/err" || fail "seq_len=5: rc $rc $(cat "$W/err")"
printf 'train:\n  num_envs: 4\n  horizont: 8\n' >"$W/bad.yaml"
"$G" train "$W/bad.yaml" -o "$W/d" 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad.yaml:3" "$W/err" && grep -q "horizont" "$W/err" ||
  fail "unknown key: rc $rc $(cat "$W/err")"
echo "train CLI: all checks passed"
