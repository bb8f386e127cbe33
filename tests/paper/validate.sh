#!/usr/bin/env bash
# Every experiment of experiments/paper/ passes `gaitlab validate`, names itself paper_* (the
# claims table recognises experiments by the root attribute `name`) and says in its header
# how the paper labels the commands.
set -euo pipefail
n=0
for f in "$GAITLAB_SOURCE_DIR"/experiments/paper/*.yaml; do
  "$GAITLAB_BINARY" validate "$f" >/dev/null || { echo "FAIL: validate $f"; exit 1; }
  grep -Eq '^name: paper_[a-z0-9_]+' "$f" || { echo "FAIL: $f has no name: paper_*"; exit 1; }
  grep -Eq '^#.*u and v x2, r x0\.25' "$f" || { echo "FAIL: $f header lacks the label scales"; exit 1; }
  n=$((n + 1))
done
[ "$n" -ge 7 ] || { echo "FAIL: expected at least 7 experiments, found $n"; exit 1; }
echo "ok: $n experiments validated"
