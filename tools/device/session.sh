#!/bin/bash
# One session on a many-core node without Debian's packages: unpack the bundle, continue a
# training run on all cores for TRAIN_S seconds (stopped by SIGUSR1, which checkpoints), copy
# its checkpoint/log/policy to OUT, then measure `gaitlab run` scaling into OUT/scaling.json.
#   tools/device/session.sh TRAIN_S        (TRAIN_S = 0: only the scaling measurement)
# Environment (defaults in brackets): BUNDLE [.dev/bundle.tar.xz], GL_DIR [/tmp/gl],
# OUT [runs/device_session], NP ranks [all cores], TRAIN_YAML [experiments/train_flat.yaml],
# TRAIN_OUT, the run directory to resume [runs/train_flat], COPIES for the scaling run [64].
set -uo pipefail
train_s=${1:-400}
cd "$(dirname "$0")/../.."
bundle=${BUNDLE:-.dev/bundle.tar.xz}
gl_dir=${GL_DIR:-/tmp/gl}
OUT=${OUT:-runs/device_session}
train_yaml=${TRAIN_YAML:-experiments/train_flat.yaml}
train_out=${TRAIN_OUT:-runs/train_flat}
mkdir -p "$OUT"
eval "$(tools/device/unpack.sh "$bundle" "$gl_dir")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
# shipped files (models, policies) from this checkout, wherever it was built
export GAITLAB_SOURCE_DIR=${GAITLAB_SOURCE_DIR:-$PWD}
export GL_RUN GL_MPIRUN GL_BIN
nproc; $GL_RUN $GL_BIN --version || exit 3
np=${NP:-$(nproc)}
if [ "$train_s" -gt 0 ]; then
  timeout -s USR1 -k 90 "$train_s" $GL_RUN $GL_MPIRUN -np "$np" --oversubscribe --bind-to none \
    $GL_RUN $GL_BIN train "$train_yaml" \
    --set output="$train_out" --set train.checkpoint_minutes=2 --resume-or-start >"$OUT/train.log" 2>&1
  echo "train exit $?"; tail -3 "$OUT/train.log"
  cp "$train_out/checkpoint.h5" "$train_out/train_log.h5" "$train_out/policy.h5" "$OUT/"
fi
bench/bench_scaling.sh "$OUT/scaling.json" "${COPIES:-64}" "1 4 8 $np"
