#!/usr/bin/env bash
# tools/reproduce_paper.sh --copies 2 end to end on 2 ranks: every experiment of
# experiments/paper/ (but grid) is run with 2 copies per condition and analysed, the claims
# table is written (or, with a gaitlab that has no `report --claims`, its absence is said
# and the figures still follow), and fig2-fig6 plus the tangling scatter come out as PNG and
# PDF that pass paper_figures.py --check; every stage reports its wall time.
set -euo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
out=$work/out
export GAITLAB=$GAITLAB_BINARY MPIEXEC GAITLAB_PYTHON
fail() { echo "FAIL: $*" >&2; exit 1; }

rc=0
"$GAITLAB_SOURCE_DIR/tools/reproduce_paper.sh" --copies 2 --np 2 --out "$out" > "$work/log" 2>&1 || rc=$?
cat "$work/log"
[ "$rc" = 0 ] || fail "reproduce_paper.sh exited $rc"

exps=()
for y in "$GAITLAB_SOURCE_DIR"/experiments/paper/*.yaml; do
  e=$(basename "$y" .yaml)
  [ "$e" = grid ] || exps+=("$e")
done
for e in exp1_forward exp1_push exp2_opposing exp3_speed_u; do
  [[ " ${exps[*]} " == *" $e "* ]] || fail "experiments/paper/$e.yaml missing"
done
for e in "${exps[@]}"; do
  grep -Eq "^reproduce_paper: $e +[0-9]+\.[0-9] s$" "$work/log" || fail "no wall time for $e"
  [ -s "$out/data/$e.h5" ] || fail "$out/data/$e.h5 missing"
done
[ ! -e "$out/data/grid.h5" ] || fail "grid.yaml ran without --grid"
for s in claims figures total; do
  grep -Eq "^reproduce_paper: $s +[0-9]+\.[0-9] s$" "$work/log" || fail "no wall time for stage $s"
  grep -Eq "^reproduce_paper: $s " "$out/timings.txt" || fail "timings.txt lacks $s"
done

# Each file: its experiment's root name, 2 copies of every condition, analysed layers.
"$GAITLAB_PYTHON" - "$out/data" "${exps[@]}" <<'PY'
import sys, h5py, numpy as np
d, exps = sys.argv[1], sys.argv[2:]
for e in exps:
    with h5py.File(f"{d}/{e}.h5", "r") as f:
        name = f.attrs["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        assert name == "paper_" + e, (e, name)
        copy, cond = f["/agents/copy"][()], f["/agents/condition"][()]
        nc = len(f["/conditions/u"])
        assert copy.max() == 1 and len(copy) == 2 * nc, (e, len(copy), nc)
        assert np.array_equal(np.bincount(cond, minlength=nc), np.full(nc, 2)), e
        for layer in ("lstm_c", "mu"):
            assert f"/analysis/{layer}/pca/scores" in f and f"/analysis/{layer}/tangling/q" in f, (e, layer)
    if e == "exp1_push":
        with h5py.File(f"{d}/{e}.h5", "r") as f:
            assert f["/agents/perturbed"][()].any(), "no pushed agent"
print("reproduce: data files ok:", ", ".join(exps))
PY

for n in fig2 fig3 fig4 fig5 fig6 fig_tangling_scatter; do
  grep -q "paper_figures: $n: .*\[check ok\]" "$work/log" || fail "$n not drawn or its check failed"
  for ext in png pdf; do
    [ -s "$out/figures/$n.$ext" ] || fail "$out/figures/$n.$ext missing or empty"
  done
  [ "$(head -c 8 "$out/figures/$n.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$n.png is not a PNG"
  [ "$(head -c 5 "$out/figures/$n.pdf")" = "%PDF-" ] || fail "$n.pdf is not a PDF"
done

# The claims table: written when this gaitlab has `report --claims`, else said so.
if "$GAITLAB_BINARY" report --help 2>&1 | grep -q -- "--claims"; then
  grep -q "| claim | experiment | measure | numbers | verdict |" "$out/claims.md" || fail "claims.md lacks the table"
else
  grep -q "has no 'report --claims'" "$work/log" || fail "missing report --claims not reported"
  [ ! -e "$out/claims.md" ] || fail "claims.md written without report --claims"
fi

# A second call finds every run complete (--resume) and redraws the figures only.
"$GAITLAB_SOURCE_DIR/tools/reproduce_paper.sh" --copies 2 --np 2 --out "$out" > "$work/log2" 2>&1 \
  || { cat "$work/log2"; fail "rerun failed"; }
grep -q "check ok" "$work/log2" || fail "rerun drew no figures"

# Usage errors exit 2 with one line.
rc=0; "$GAITLAB_SOURCE_DIR/tools/reproduce_paper.sh" --bogus 2> "$work/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '--bogus'" "$work/err" || fail "bad option: rc $rc"
echo "reproduce: ok"
