#!/bin/bash
# Training scaling over rank counts, each figure next to the node's own bound measured in the
# same invocation:
#   weak   envs_per_rank E on R ranks (E*R environments, the way Isaac Gym users scale),
#          against R independent 1-rank trainings of E environments run at once (no MPI,
#          nothing shared: what the cores deliver at all); efficiency = weak rate / that sum;
#   strong num_envs N fixed on R ranks, as a speedup over the first rank count.
#   bench/bench_train_scaling.sh OUT.json "1 2 4 8 16" [E=256] [N=512] [ITERATIONS=4]
# Uses bench/bench_train.sh for every measurement (the mean of the iterations after the first).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?out json}
ranks=${2:-"1 2"}
E=${3:-256}
N=${4:-512}
IT=${5:-4}
# concurrent jobs: without this Open MPI binds every one of them to core 0 (docs/performance.md §3)
export OMPI_MCA_hwloc_base_binding_policy=none
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sps() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['steps_per_s'])" "$1"; }
rows=()
for r in $ranks; do
  for k in $(seq "$r"); do
    OUT="$tmp/ind_${r}_$k.json" "$ROOT/bench/bench_train.sh" 1 "$IT" --set train.num_envs="$E" \
        > /dev/null 2>&1 &
  done
  wait
  ind=0
  for k in $(seq "$r"); do ind=$(echo "$ind + $(sps "$tmp/ind_${r}_$k.json")" | bc -l); done
  OUT="$tmp/weak_$r.json" "$ROOT/bench/bench_train.sh" "$r" "$IT" --set train.envs_per_rank="$E" > /dev/null 2>&1
  OUT="$tmp/strong_$r.json" "$ROOT/bench/bench_train.sh" "$r" "$IT" --set train.num_envs="$N" > /dev/null 2>&1
  w=$(sps "$tmp/weak_$r.json"); s=$(sps "$tmp/strong_$r.json")
  echo "ranks $r: weak $w steps/s (independent: $ind), strong $s steps/s" >&2
  rows+=("$r:$ind:$w:$s")
done
python3 - "$out" "$E" "$N" "$(nproc)" "${rows[@]}" <<'PY'
import json, sys
out, E, N, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [tuple(float(x) for x in a.split(":")) for a in sys.argv[5:]]
r0 = rows[0]
res = {"benchmark": "train_scaling", "cores": cores, "envs_per_rank_weak": E, "num_envs_strong": N,
       "ranks": {}}
for r, ind, w, s in rows:
    res["ranks"][str(int(r))] = {
        "independent_1rank_sum_steps_per_s": ind, "weak_steps_per_s": w, "strong_steps_per_s": s,
        "weak_efficiency_vs_independent": w / ind,
        "weak_efficiency_vs_first": (w / r) / (r0[2] / r0[0]),
        "strong_speedup_vs_first": s / r0[3]}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
