#!/usr/bin/env bash
# One-command entry points of the README (fresh Debian 12, as root or with sudo):
#   tools/quickstart.sh main   install deps, build, run experiments/default.yaml on the
#                              shipped default policy with all cores -> out/forward_sweep.h5
#   tools/quickstart.sh test   install deps, build with -Werror, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in main|test) ;; *) echo "usage: tools/quickstart.sh main|test" >&2; exit 2;; esac

tools/install-deps.sh
build=${GAITLAB_BUILD:-build}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGAITLAB_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"

# Open MPI refuses root without these; containers without ptrace need the vader setting.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
if [ "$mode" = main ]; then
  mkdir -p out
  mpirun -np "$jobs" --oversubscribe "$build/gaitlab" run experiments/default.yaml
  "$build/gaitlab" info out/forward_sweep.h5
else
  ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900
fi
