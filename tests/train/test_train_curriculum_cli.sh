#!/bin/bash
# `gaitlab train experiments/train_curriculum.yaml` end to end with tiny sizes on 2 ranks:
# the log has a finite terrain_level column in [0, 9] (NaN-free), episodes end (short
# episodes so levels get updated), and 1 + --resume 1 iterations equal 2 straight ones bit for
# bit (the level is in each env's checkpoint record). The progress line shows the level.
set -u
G=${GAITLAB_BINARY:?}
MPI="${MPIEXEC:-mpiexec} --oversubscribe"
YAML=${GAITLAB_SOURCE_DIR:?}/experiments/train_curriculum.yaml
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
SMALL=(--set train.num_envs=8 --set train.horizon=8 --set train.minibatches=2
       --set train.epochs=1 --set env.episode_steps=4 --set env.push_interval=0)
fail() { echo "FAIL: $*"; exit 1; }
col() { h5dump -d "/$2" -y -w 0 "$1" | awk '/DATA {/{f=1;next} f&&/}/{exit} f' |
        tr ',' '\n' | tr -d ' ' | grep -v '^$' | tr '\n' ' '; }

$MPI -n 2 "$G" train "$YAML" -o "$W/a" "${SMALL[@]}" --set train.max_iterations=2 2>"$W/log_a" ||
  fail "straight run: $(tail -3 "$W/log_a")"
grep -q "it 2 .*| level [0-9.]*$" "$W/log_a" || fail "no level in progress line: $(tail -1 "$W/log_a")"
lv=$(col "$W/a/train_log.h5" terrain_level)
eps=$(col "$W/a/train_log.h5" episodes)
echo "terrain_level: $lv  episodes: $eps"
[ "$(echo $lv | wc -w)" -eq 2 ] || fail "terrain_level rows: '$lv'"
for v in $lv; do
  awk -v v="$v" 'BEGIN { exit !(v == v + 0 && v >= 0 && v <= 9) }' || fail "terrain_level value '$v'"
done
for v in $eps; do
  awk -v v="$v" 'BEGIN { exit !(v >= 8) }' || fail "too few episodes ended: '$v'"
done

$MPI -n 2 "$G" train "$YAML" -o "$W/b" "${SMALL[@]}" --set train.max_iterations=1 -q || fail "run b"
$MPI -n 2 "$G" train "$YAML" -o "$W/b" "${SMALL[@]}" --set train.max_iterations=2 -q --resume || fail "resume b"
for d in params adam_m adam_v obs_norm_mean env_records; do
  h5diff "$W/a/checkpoint.h5" "$W/b/checkpoint.h5" /$d /$d >/dev/null || fail "resume differs in /$d"
done
[ "$(col "$W/b/train_log.h5" terrain_level)" = "$lv" ] || fail "resumed log level differs"

# the switch is in the schema
"$G" train "$YAML" -o "$W/c" --set env.curriculum_wrap=maybe 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "curriculum_wrap" "$W/err" || fail "curriculum_wrap=maybe: rc $rc $(cat "$W/err")"
echo "train curriculum CLI: all checks passed"
