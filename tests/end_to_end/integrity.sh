#!/usr/bin/env bash
# Integrity: recordings carry HDF5's Fletcher-32 checksum on every chunk and checksummed
# metadata (1.8 object formats), so damage is found where it is read, named as such, and
# never passed on: a flipped byte in a data chunk stops an analysis (its previous analysis
# untouched); a .partial with a damaged chunk of a completed agent, or a
# damaged object header, is refused by --resume on 1 and 2 ranks (one message, the file left
# as it was, nothing renamed complete); an undamaged .partial resumes to a file equal to an
# uninterrupted run. Damage is made with h5py at the byte offsets HDF5 reports.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"; E="$GAITLAB_SOURCE_DIR/experiments/default.yaml"
PY=${GAITLAB_PYTHON:-/usr/bin/python3}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
small=(--set conditions.copies=4 --set sim.batch=4 --set env.episode_steps=150
       --set sim.record_start=50 --set sim.record_stop=150 -q)
# flip FILE DATASET CHUNK|header: xor one byte inside a data chunk or an object header
flip() {
  "$PY" - "$@" <<'EOF' || fail "flip $*"
import sys, h5py
path, ds, where = sys.argv[1:4]
with h5py.File(path, "r") as f:
    d = f[ds]
    off = h5py.h5o.get_info(d.id).addr + 20 if where == "header" else d.id.get_chunk_info(int(where)).byte_offset + 333
with open(path, "r+b") as fh:
    fh.seek(off); b = fh.read(1); fh.seek(off); fh.write(bytes([b[0] ^ 0x5A]))
EOF
}

"$G" run "$E" "${small[@]}" --set output=ref.h5 || fail "reference run"
h5dump -pH ref.h5 > ref.txt; grep -q "CHECKSUM FLETCHER32" ref.txt && echo "ok   chunks carry Fletcher-32" || fail "no Fletcher-32 filter"

# 1. analysis of a recording with a damaged chunk
"$G" run "$E" "${small[@]}" --set output=a.h5 --set 'analysis.populations=[mu]' || fail "run a"
flip a.h5 /recording/mu 5
cp a.h5 a.before
out=$("$G" analyze a.h5 -q --set 'analysis.populations=[mu]' 2>&1); rc=$?
# (opened for writing, the file's bytes may move; its contents may not: the previous
# analysis is there as it was and no partial one is left)
[ $rc -eq 2 ] && grep -q "HDF5 dataset '/recording/mu' rows .* cannot be read: a chunk fails its Fletcher-32 checksum" <<<"$out" \
  && h5diff -d 0 a.before a.h5 /analysis /analysis >/dev/null && h5diff -d 0 a.before a.h5 /agents /agents >/dev/null \
  && ! h5ls a.h5 | grep -q "analysis.partial" && echo "ok   damaged chunk stops the analysis, previous analysis intact" || { fail "analysis of a damaged chunk: rc $rc"; echo "$out"; }

# 2. resume from a .partial: 12 of 28 agents completed before an injected fault
GAITLAB_FAULT=error:0:3 "$G" run "$E" "${small[@]}" --set output=p.h5 2>/dev/null
[ -e p.h5.partial ] || fail "no .partial after the injected fault"
cp p.h5.partial good.partial
for np in 1 2; do
  cp good.partial p.h5.partial; flip p.h5.partial /recording/lstm_c 7; cp p.h5.partial bad.partial
  out=$(timeout 120 "$MPIEXEC" -n $np --oversubscribe "$G" run "$E" "${small[@]}" --set output=p.h5 --resume 2>&1); rc=$?
  n=$(grep -c "gaitlab: error" <<<"$out")
  [ $rc -eq 2 ] && [ "$n" = 1 ] && grep -q "cannot resume from 'p.h5.partial': .*'/recording/lstm_c' rows \[7, 8) cannot be read: a chunk fails its Fletcher-32 checksum" <<<"$out" \
    && cmp -s p.h5.partial bad.partial && [ ! -e p.h5 ] && echo "ok   resume refuses a damaged chunk, np$np" || { fail "damaged chunk resume np$np: rc $rc, $n messages"; echo "$out"; }
  cp good.partial p.h5.partial; flip p.h5.partial /recording/mu header; cp p.h5.partial bad.partial
  out=$(timeout 120 "$MPIEXEC" -n $np --oversubscribe "$G" run "$E" "${small[@]}" --set output=p.h5 --resume 2>&1); rc=$?
  n=$(grep -c "gaitlab: error" <<<"$out")
  [ $rc -eq 2 ] && [ "$n" = 1 ] && grep -q "'/recording/mu' is not a readable dataset: its metadata fails its checksum" <<<"$out" \
    && cmp -s p.h5.partial bad.partial && [ ! -e p.h5 ] && echo "ok   resume refuses a damaged header, np$np" || { fail "damaged header resume np$np: rc $rc, $n messages"; echo "$out"; }
done
cp good.partial p.h5.partial
"$MPIEXEC" -n 2 --oversubscribe "$G" run "$E" "${small[@]}" --set output=p.h5 --resume || fail "clean resume"
h5diff -d 0 ref.h5 p.h5 /recording /recording >/dev/null && h5diff -d 0 ref.h5 p.h5 /agents /agents >/dev/null \
  && echo "ok   an undamaged .partial resumes to the uninterrupted result" || fail "resumed file differs from the reference"
[ $fails -eq 0 ] && echo "integrity: all passed" || { echo "integrity: $fails failures"; exit 1; }
