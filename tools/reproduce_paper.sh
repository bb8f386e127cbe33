#!/usr/bin/env bash
# The paper (Rush, Jayaram & Humbert, arXiv 2305.11107) in one command: every experiment of
# experiments/paper/ (grid.yaml only with --grid), each analysed by its own analysis: block,
# then
#   DIR/data/<experiment>.h5   the recordings with their analyses
#   DIR/claims.md              `gaitlab report --claims` over all of them
#   DIR/figures/               fig2 ... fig6 and fig_tangling_scatter, PNG and PDF
#                              (tools/paper_figures.py, checked with --check)
#   DIR/timings.txt            the wall time of every stage
#
#   tools/reproduce_paper.sh [--copies N] [--out DIR] [--np N] [--policy NAME] [--grid]
#                            [--set KEY=VALUE]...
#
# --copies N sets conditions.copies of every experiment (100 in the YAMLs) for a quick look;
# --np N ranks for mpirun (default: all cores); --policy a shipped agent or a policy file;
# --set is passed to every `gaitlab run`. An interrupted run continues where it stopped
# (`gaitlab run --resume`); an output written with other settings is refused, so use a new
# --out after changing them. The figures need python3 with matplotlib and h5py: GAITLAB_PYTHON,
# else /usr/bin/python3 (Debian's python3-matplotlib, python3-h5py; tools/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
copies="" out=out/paper np=$(nproc) policy="" grid=0
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --copies) copies=$2; shift 2;;
    --out) out=$2; shift 2;;
    --np) np=$2; shift 2;;
    --policy) policy=$2; shift 2;;
    --grid) grid=1; shift;;
    --set) sets+=(--set "$2"); shift 2;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) echo "reproduce_paper.sh: unknown option '$1' (allowed: --copies N, --out DIR, --np N, --policy NAME, --grid, --set KEY=VALUE)" >&2; exit 2;;
  esac
done
G=${GAITLAB:-build/gaitlab}
MPIRUN=${MPIEXEC:-mpirun}
[ -x "$G" ] || { echo "reproduce_paper.sh: $G not found (build first, or set GAITLAB=path/to/gaitlab)" >&2; exit 2; }

# The figures' interpreter, checked before hours of simulation rather than after.
py=${GAITLAB_PYTHON:-}
if [ -z "$py" ]; then
  for c in /usr/bin/python3 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import matplotlib, h5py, numpy' 2>/dev/null; then py=$c; break; fi
  done
fi
if [ -z "$py" ] || ! "$py" -c 'import matplotlib, h5py, numpy' 2>/dev/null; then
  echo "reproduce_paper.sh: no python3 with matplotlib, h5py and numpy (${py:-none found}); apt-get install python3-matplotlib python3-h5py, or set GAITLAB_PYTHON" >&2
  exit 2
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$out/data" "$out/figures"
timings="$out/timings.txt"
: > "$timings"
now() { date +%s.%N; }
stage() {  # stage NAME START: print and log the wall time since START
  local s
  s=$(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  printf 'reproduce_paper: %-16s %8s s\n' "$1" "$s" | tee -a "$timings"
}

t_all=$(now)
files=()
declare -A fig_opt=([exp1_forward]=--exp1 [exp1_push]=--push [exp2_opposing]=--opposing
                    [exp3_speed_u]=--speed)
fig_args=()
for y in experiments/paper/*.yaml; do
  [ -f "$y" ] || continue
  e=$(basename "$y" .yaml)
  [ "$e" = grid ] && [ "$grid" = 0 ] && continue
  f="$out/data/$e.h5"
  extra=(--set output="$f")
  [ -n "$copies" ] && extra+=(--set conditions.copies="$copies")
  [ -n "$policy" ] && extra+=(--set policy="$policy")
  t0=$(now)
  echo "reproduce_paper: $e: $MPIRUN -np $np $G run $y ${extra[*]} ${sets[*]:-}"
  "$MPIRUN" -np "$np" --oversubscribe "$G" run "$y" --quiet --resume "${extra[@]}" "${sets[@]}"
  stage "$e" "$t0"
  files+=("$f")
  if [ -n "${fig_opt[$e]:-}" ]; then fig_args+=("${fig_opt[$e]}" "$f"); fi
done
if [ ${#files[@]} -eq 0 ]; then
  echo "reproduce_paper.sh: no experiments under experiments/paper/" >&2; exit 2
fi

# The claims table. A gaitlab without `report --claims` still gets its figures.
status=0
t0=$(now)
if "$G" report --claims "${files[@]}" > "$out/claims.md.tmp" 2> "$out/claims.err"; then
  mv "$out/claims.md.tmp" "$out/claims.md"
  cat "$out/claims.md"
else
  rm -f "$out/claims.md.tmp"
  if grep -q "unknown option" "$out/claims.err"; then
    echo "reproduce_paper: claims: this gaitlab has no 'report --claims' ($(head -n1 "$out/claims.err")); $out/claims.md not written, continuing with the figures"
  else
    echo "reproduce_paper: claims failed: $(cat "$out/claims.err")" >&2
    status=1
  fi
fi
rm -f "$out/claims.err"
stage claims "$t0"

t0=$(now)
if [ ${#fig_args[@]} -gt 0 ]; then
  "$py" tools/paper_figures.py "${fig_args[@]}" --out "$out/figures" --check || status=1
else
  echo "reproduce_paper: no experiment of figures 2-6 present; no figures" >&2
  status=1
fi
stage figures "$t0"
stage total "$t_all"
echo "reproduce_paper: $out/data/, $out/claims.md, $out/figures/, $timings"
exit $status
