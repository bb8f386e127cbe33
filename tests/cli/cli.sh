#!/usr/bin/env bash
# The CLI contract: help, version, exit codes, one-line errors with file:line:col, no
# half-written outputs passed off as complete, and info on a finished file.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"
fails=0
check() { # check NAME EXPECTED_RC PATTERN -- command...
  local name=$1 want=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fails=$((fails+1)); return; fi
  if ! grep -qE -- "$pat" <<<"$out"; then echo "FAIL $name: output lacks /$pat/"; echo "$out"; fails=$((fails+1)); return; fi
  echo "ok   $name"
}
B="$here/bad"
S="$here/../end_to_end/data/small.yaml"
check help 0 "usage: gaitlab COMMAND" -- "$G" --help
for c in run validate info; do check "help-$c" 0 "usage: gaitlab $c" -- "$G" $c --help; done
check version 0 "mujoco 2\.2\.2; hdf5 1\.10" -- "$G" --version
check unknown-command 2 "^gaitlab: error: unknown command 'frobnicate'; allowed: run" -- "$G" frobnicate
check unknown-option 2 "unknown option '--frob'" -- "$G" run x.yaml --frob
check typo 2 "typo\.yaml:3:3: .*unknown key.*timestpe.*timestep" -- "$G" validate "$B/typo.yaml"
check wrongtype 2 "wrongtype\.yaml:4:11: conditions\.copies" -- "$G" validate "$B/wrongtype.yaml"
check emptygrid 2 "emptygrid\.yaml:3:6: conditions\.u" -- "$G" validate "$B/emptygrid.yaml"
check window 2 "window\.yaml:5:16: sim\.record_stop: 200 exceeds sim\.episode_steps = 100" -- "$G" validate "$B/window.yaml"
check range 2 "range\.yaml:3:13: sim\.timestep" -- "$G" validate "$B/range.yaml"
check syntax 2 "syntax\.yaml:[0-9]+:[0-9]+:" -- "$G" validate "$B/syntax.yaml"
check analysis-typo 2 "analysis\.yaml:7:3: .*pca_componets.*pca_components" -- "$G" validate "$B/analysis.yaml"
check analysis-unrecorded 2 "analysis\.populations: 'lstm_c' is not recorded; recorded layers: mu, foot_force" -- "$G" validate "$S" --set 'record=[mu, foot_force]' --set 'analysis.populations=[lstm_c, mu]'
check analysis-typo-run 2 "analysis\.yaml:7:3" -- "$G" run "$B/analysis.yaml" --set output=at.h5
[ ! -e at.h5 ] && [ ! -e at.h5.partial ] || { echo "FAIL analysis-typo-run simulated before validating"; fails=$((fails+1)); }
check missing-file 2 "cannot read 'nope\.yaml'" -- "$G" validate nope.yaml
check bad-set 2 "^gaitlab: error: --set conditions\.copies=0" -- "$G" validate "$S" --set conditions.copies=0
check validate-table 0 "4 conditions x 3 copies = 12 agents" -- "$G" validate "$S"
check validate-train 0 "valid\. Training run 'train_flat'.*|50 % of envs under the heading controller" -- "$G" validate "$GAITLAB_SOURCE_DIR/experiments/train_flat.yaml"
check validate-train-typo 2 "train_typo\.yaml:4:3: .*comands.*commands" -- "$G" validate "$B/train_typo.yaml"
check validate-train-range 2 "env\.heading_fraction: 2 is out of range" -- "$G" validate "$GAITLAB_SOURCE_DIR/experiments/train_flat.yaml" --set env.heading_fraction=2
check policy-name 2 "^gaitlab: error: --set policy=seed_99: policy 'seed_99': no shipped agent policies/seed_99\.h5" -- "$G" validate "$S" --set policy=seed_99
check policy-name-ok 0 "policy default ->" -- "$G" validate "$S" --set policy=default
check validate-train-af 0 "valid\. Training run 'action_feedback', seed 1" -- "$G" validate "$GAITLAB_SOURCE_DIR/experiments/train_action_feedback.yaml"
check validate-obs-scale 0 "1 +0 +0\.5 +\| +2 +0 +0\.125" -- "$G" validate "$S"
# Errors under several ranks: exactly one message, same exit code.
out=$("$MPIEXEC" -n 2 --oversubscribe "$G" validate "$B/typo.yaml" 2>&1); rc=$?
n=$(grep -c "gaitlab: error" <<<"$out")
if [ $rc -ne 2 ] || [ "$n" -ne 1 ]; then echo "FAIL two-rank error: rc $rc, $n messages"; echo "$out"; fails=$((fails+1)); else echo "ok   two-rank error"; fi
# A missing policy: clear error, exit 2, no output of any kind.
check missing-policy 2 "nope\.h5" -- "$G" run "$S" --quiet --set policy=nope.h5 --set output=mp.h5
[ ! -e mp.h5 ] && [ ! -e mp.h5.partial ] || { echo "FAIL missing-policy left a file"; fails=$((fails+1)); }
# An unwritable output location: I/O error, exit 3, nothing claims to be complete.
check unwritable 2 "output 'no/such/dir/x\.h5': directory 'no/such/dir' does not exist" -- "$G" run "$S" --quiet --set output=no/such/dir/x.h5
# A finished run, and info on it.
check run 0 "" -- "$MPIEXEC" -n 2 --oversubscribe "$G" run "$S" --quiet --set output=ok.h5
check info 0 "tracking \(mean body-frame velocity" -- "$G" info ok.h5
check info-policy 0 "hidden_sizes +\[512, 256, 128\].*policy_steps +[0-9]+" -- bash -c "set -o pipefail; \"$G\" info \"$GAITLAB_SOURCE_DIR/policies/default.h5\" | tr '\n' ' '"
check info-notfile 2 "is missing or unreadable|not an HDF5 file" -- "$G" info "$B/typo.yaml"
# Inputs that are not regular HDF5 files: one line, exit 2, never a hang (a FIFO would
# block a reader that opens it).
mkfifo fifo.h5
check policy-fifo 2 "'fifo\.h5' is not a regular file \(a FIFO\)" -- timeout 20 "$G" run "$S" --quiet --set policy=fifo.h5 --set output=f.h5
check analyze-fifo 2 "'fifo\.h5' is not a regular file \(a FIFO\)" -- timeout 20 "$G" analyze fifo.h5
check analyze-missing 2 "'nothere\.h5': No such file or directory" -- "$G" analyze nothere.h5
printf 'plain text\n' > text.h5
check analyze-not-hdf5 2 "'text\.h5' is not an HDF5 file" -- "$G" analyze text.h5
check analyze-directory 2 "'\.' is not a regular file \(a directory\)" -- "$G" analyze .
# Standard output that cannot be written is an I/O error (exit 3), not success.
if [ -w /dev/full ]; then
  out=$("$G" info ok.h5 2>&1 >/dev/full); rc=$?
  [ $rc -eq 3 ] && grep -q "cannot write to standard output: No space left on device" <<<"$out" \
    && echo "ok   stdout-full" || { echo "FAIL stdout-full: exit $rc: $out"; fails=$((fails+1)); }
fi
[ $fails -eq 0 ] && echo "cli: all ok" || { echo "cli: $fails failures"; exit 1; }
