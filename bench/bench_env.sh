#!/bin/bash
# Env step cost vs bare mj_step. Usage: bench/bench_env.sh [build_dir] [steps] [reps]
# Writes bench/results/env.json. Single core, short (a few seconds).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
STEPS=${2:-1000}
REPS=${3:-5}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" --target bench_env -j2 >/dev/null
mkdir -p "$ROOT/bench/results"
BIN=$(find "$BUILD" -name bench_env -type f -perm -u+x | head -n1)
GAITLAB_SOURCE_DIR="$ROOT" OPENBLAS_NUM_THREADS=1 "$BIN" "$STEPS" "$REPS" "$ROOT/bench/results/env.json"
echo "wrote $ROOT/bench/results/env.json"
