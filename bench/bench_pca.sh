#!/bin/bash
# Raw-sample PCA at the size of the authors' exp3 before averaging (350 000 x 128): z-score +
# covariance + eigendecomposition on 1 and 2 ranks, each against DSYRK on its own local rows
# in the same run, and against NumPy (z-score, np.cov, np.linalg.eigh, one BLAS thread) on
# the same numbers in the same invocation. Checks that the 1- and 2-rank results are bitwise
# identical and that NumPy's spectrum agrees.
#   bench/bench_pca.sh [BUILD_DIR] [N (350000)]     Writes bench/results/pca.json.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
n=${2:-350000}
bin=$(find "$build" -name bench_pca -type f -perm -u+x | head -1)
[[ -x $bin ]] || { echo "bench_pca not built in $build (cmake --build $build --target bench_pca)" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpi=${MPIEXEC:-mpiexec}
# Debian's interpreter, where python3-numpy installs (a python3 earlier on PATH may lack it).
py=${GAITLAB_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$mpi" --oversubscribe -n 1 "$bin" "$n" 128 1000 "$tmp/x.npy" > "$tmp/r1.json"
"$mpi" --oversubscribe -n 2 "$bin" "$n" 128 1000 > "$tmp/r2.json"
"$py" - "$tmp" "$here/bench/results/pca.json" "$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import json, sys, time
import numpy as np
tmp, out, git = sys.argv[1:4]
r1, r2 = (json.load(open(f"{tmp}/r{k}.json")) for k in (1, 2))
x = np.load(f"{tmp}/x.npy")
t0 = time.perf_counter()
z = (x - x.mean(axis=0)) / x.std(axis=0)
t1 = time.perf_counter()
w = np.linalg.eigh(np.cov(z, rowvar=False))[0][::-1]
t2 = time.perf_counter()
rel = float(np.max(np.abs(w[:10] - np.array(r1["top_variance"])) / w[:10]))
res = {"benchmark": "pca", "git": git, "n": r1["n"], "d": r1["d"], "ranks_1": r1, "ranks_2": r2,
       "numpy_zscore_s": t1 - t0, "numpy_cov_eigh_s": t2 - t1, "numpy_total_s": t2 - t0,
       "speedup_vs_numpy_1_rank": (t2 - t0) / r1["t_total_s"],
       "speedup_2_ranks": r1["t_total_s"] / r2["t_total_s"],
       "bitwise_1_vs_2_ranks": r1["digest"] == r2["digest"],
       "max_rel_diff_top10_variance_vs_numpy": rel}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
ok = res["bitwise_1_vs_2_ranks"] and rel < 1e-9
print(f"pca: 1 rank {r1['ratio_to_dsyrk']:.2f} of DSYRK, 2 ranks {r2['ratio_to_dsyrk']:.2f}; "
      f"{res['speedup_vs_numpy_1_rank']:.1f}x NumPy on 1 core; 1 vs 2 ranks bitwise: {res['bitwise_1_vs_2_ranks']}; "
      f"spectrum vs NumPy {rel:.1e}")
sys.exit(0 if ok else 1)
PY
