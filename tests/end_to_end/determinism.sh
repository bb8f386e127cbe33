#!/usr/bin/env bash
# The same experiment on 1, 2, 3 and 4 ranks must give bitwise-identical datasets, with the
# contract's layout, and no .partial left behind; and the shipped policy walking, with the
# whole default analysis (cycles, PCA, tangling, speed axis, splines), on 1, 2 and 3 ranks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
for np in 1 2 3 4; do
  "$MPIEXEC" -n $np --oversubscribe "$GAITLAB_BINARY" run "$here/data/small.yaml" --quiet \
      --set output=np$np.h5
  test -f np$np.h5
  test ! -e np$np.h5.partial
done
"$H5CHECK" layout np1.h5 12 30 4
for np in 2 3 4; do "$H5CHECK" compare np1.h5 np$np.h5; done
# Different seed must change the data (the comparison is able to fail).
"$GAITLAB_BINARY" run "$here/data/small.yaml" --quiet --set output=seed8.h5 --set seed=8
if "$H5CHECK" compare np1.h5 seed8.h5 >/dev/null 2>&1; then
  echo "different seeds gave identical files"; exit 1
fi
# The shipped policy: 7 speeds x 2 copies, 700 steps; /analysis included in the comparison.
for np in 1 2 3; do
  "$MPIEXEC" -n $np --oversubscribe "$GAITLAB_BINARY" run "$GAITLAB_SOURCE_DIR/experiments/default.yaml" \
      --quiet --set conditions.copies=2 --set sim.record_stop=700 --set output=walk$np.h5
done
listing=$(h5ls -r walk1.h5)
grep -q "^/analysis/lstm_c/tangling/q " <<<"$listing" || { echo "no tangling in the walking run"; exit 1; }
for np in 2 3; do "$H5CHECK" compare walk1.h5 walk$np.h5; done
echo "determinism: ok"
