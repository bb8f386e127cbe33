#!/bin/bash
# One lent-machine session (16 cores, no Debian packages): unpack the bundle, continue the
# default policy's training on 16 ranks for TRAIN_S seconds (stopped by SIGUSR1, which
# checkpoints), return checkpoint/log/policy, then measure run scaling.
#   tools/device/session.sh TRAIN_S        (outputs under $OUT)
set -uo pipefail
train_s=${1:-400}
cd "$(dirname "$0")/../.."
eval "$(tools/device/unpack.sh .dev/bundle.tar.xz /tmp/gl)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
export GL_RUN GL_MPIRUN GL_BIN
nproc; $GL_RUN $GL_BIN --version || exit 3
np=$(nproc); [ "$np" -gt 16 ] && np=16
if [ "$train_s" -gt 0 ]; then
  timeout -s USR1 -k 90 "$train_s" $GL_RUN $GL_MPIRUN -np "$np" --oversubscribe --bind-to none \
    $GL_RUN $GL_BIN train experiments/train_flat.yaml --set policy.logstd_init=-0.5 \
    --set output=runs/train_flat --set train.checkpoint_minutes=2 --resume >"$OUT/train.log" 2>&1
  echo "train exit $?"; tail -3 "$OUT/train.log"
  cp runs/train_flat/checkpoint.h5 runs/train_flat/train_log.h5 runs/train_flat/policy.h5 "$OUT/"
fi
bench/bench_scaling.sh "$OUT/scaling.json" "${COPIES:-64}" "1 4 8 $np"
