#!/usr/bin/env bash
# `gaitlab dynamics` end to end on a tiny run of the shipped policy: the output groups, and
# one-line exit-2 errors for a wrong file, a bad key, a bad value and a missing layer.
set -uo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
G="$GAITLAB_BINARY"
fails=0
fail() { echo "FAIL $*"; fails=$((fails+1)); }
check() { # check NAME EXPECTED_RC PATTERN -- command...
  local name=$1 want=$2 pat=$3; shift 4
  local rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then fail "$name: exit $rc, expected $want"; echo "$out"; return; fi
  if ! grep -qE -- "$pat" <<<"$out"; then fail "$name: output lacks /$pat/"; echo "$out"; return; fi
  echo "ok   $name"
}
"$G" run "$GAITLAB_SOURCE_DIR/tests/end_to_end/data/small.yaml" -q --set policy=default --set output=s.h5 \
  --set 'record=[obs, lstm_h, lstm_c]' || { echo "FAIL run"; exit 1; }
"$G" run "$GAITLAB_SOURCE_DIR/tests/end_to_end/data/small.yaml" -q --set policy=default --set output=mu.h5 \
  --set 'record=[mu]' || { echo "FAIL run"; exit 1; }
check ok 0 "dynamics: zero: [0-9]+ unique points from 4" -- "$G" dynamics s.h5 --set dynamics.inits=4 --set dynamics.max_iter=5
h5ls -r s.h5 | grep -q "^/dynamics/fixed_points/zero/jacobian_x \+Dataset {[0-9]*, 256, 256}" || fail "no jacobian_x"
# The input conventions on the shipped policy, against a forward iteration of the LSTM in
# numpy from the policy file: u = 0 (zero) has one stable fixed point that every initial
# state reaches; the raw zero observation (zero_obs) saturates forget gates, c integrates
# without bound and no fixed point exists.
check zero-one 0 "dynamics: zero: 1 unique points from 16" -- "$G" dynamics s.h5 -o z.h5 --set dynamics.inits=16 --set dynamics.max_iter=50
check zero-obs 0 "dynamics: zero_obs: 16 unique points from 16" -- "$G" dynamics s.h5 -o z.h5 --set dynamics.inits=16 --set dynamics.max_iter=50 --set dynamics.input=zero_obs
"${GAITLAB_PYTHON:-/usr/bin/python3}" - z.h5 "$GAITLAB_SOURCE_DIR/policies/default.h5" <<'PY' || fail "conventions against numpy"
import sys, h5py, numpy as np
d, p = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
A = lambda k: p["actor/" + k][()].astype(np.float64)
Wih, Whh, b = A("lstm/weight_ih"), A("lstm/weight_hh"), A("lstm/bias_ih") + A("lstm/bias_hh")
sg = lambda x: 1 / (1 + np.exp(-x))
def F(x, u):
    z = Wih @ u + Whh @ x[:128] + b
    c = sg(z[128:256]) * x[128:] + sg(z[:128]) * np.tanh(z[256:384])
    return np.concatenate([sg(z[384:]) * np.tanh(c), c]), sg(z[128:256])
x = np.zeros(256)
for _ in range(3000): x, _ = F(x, np.zeros(256))
g = d["dynamics/fixed_points/zero"]
assert g["is_fixed"][0] == 1 and g["spectral_radius"][0] < 1, "zero: not a stable fixed point"
assert np.abs(g["points"][0] - x).max() < 1e-9, f"zero: {np.abs(g['points'][0] - x).max()} from the forward iterate"
m, v = p["normalizer/mean"][:176].astype(float), p["normalizer/var"][:176].astype(float)
elu = lambda y: np.where(y > 0, y, np.expm1(y))
u = elu(A("mlp1/weight") @ elu(A("mlp0/weight") @ np.clip(-m / np.sqrt(v + 1e-5), -5, 5) + A("mlp0/bias")) + A("mlp1/bias"))
assert np.allclose(d["dynamics/fixed_points/zero_obs/input_u"][()].ravel(), u, atol=1e-9), "zero_obs: input_u"
_, f = F(np.zeros(256), u)
assert (f > 1 - 1e-6).sum() > 10, "zero_obs: forget gates not saturated"
zo = d["dynamics/fixed_points/zero_obs"]
assert zo["is_fixed"][()].sum() == 0 and zo["q"][()].min() > 1, "zero_obs: a fixed point was reported"
print("conventions: ok, zero radius %.4f" % g["spectral_radius"][0])
PY
# The report's fixed-point table, against the datasets it summarises (read with h5py).
"$G" dynamics s.h5 -q --set dynamics.inits=16 --set dynamics.max_iter=50 || fail "dynamics into s.h5"
"$G" dynamics s.h5 -q --set dynamics.inits=16 --set dynamics.max_iter=50 --set dynamics.input=zero_obs || fail "zero_obs into s.h5"
want=$("${GAITLAB_PYTHON:-/usr/bin/python3}" -c '
import sys, h5py, numpy as np
g = h5py.File(sys.argv[1], "r")["dynamics/fixed_points/zero"]
print("zero 1 1 1 0 %d/16 %.4g %.4g" % (g["members"][0], g["spectral_radius"][0], np.abs(g["points"][0][128:]).max()))' s.h5)
got=$("$G" report s.h5 | awk '$1 == "zero" || $1 == "zero_obs" {$1 = $1; print}')
[ "$(head -1 <<<"$got")" = "$want" ] && echo "ok   report: $want" || fail "report zero row: '$(head -1 <<<"$got")', want '$want'"
[ "$(tail -1 <<<"$got")" = "zero_obs 16 0 0 16 0/16 n/a n/a" ] && echo "ok   report: no fixed point for zero_obs" || fail "report zero_obs row: '$(tail -1 <<<"$got")'"
check out 0 "condition_3" -- "$G" dynamics s.h5 -o o.h5 --set dynamics.inits=2 --set dynamics.max_iter=2 --set dynamics.input=condition_mean
[ -f o.h5 ] && [ ! -e o.h5.tmp ] || fail "o.h5 missing or o.h5.tmp left"
# A damaged /dynamics group: the report names the object and both lengths (exit 2).
cp s.h5 dbad.h5
"${GAITLAB_PYTHON:-/usr/bin/python3}" -c '
import sys, h5py, numpy as np
g = h5py.File(sys.argv[1], "r+")["dynamics/fixed_points/zero_obs"]
del g["members"]; g["members"] = np.zeros(3, np.int32)' dbad.h5 || fail "crafting dbad.h5"
check report-bad-dyn 2 "^gaitlab: error: 'dbad\.h5': HDF5 dataset /dynamics/fixed_points/zero_obs/members has 3 entries, is_fixed has 16" -- "$G" report dbad.h5
# The action-feedback actor reads 188 inputs: its condition means are the recorded
# observation followed by the recorded action of the step before (from the window's second
# step), against numpy; without /recording/mu the search says what to record.
"$G" run "$GAITLAB_SOURCE_DIR/tests/end_to_end/data/small.yaml" -q --set policy=action_feedback --set output=af.h5 \
  --set 'record=[obs, mu, lstm_h, lstm_c]' || fail "action-feedback run"
check af-mean 0 "condition_3: [0-9]+ unique points" -- "$G" dynamics af.h5 --set dynamics.inits=4 --set dynamics.max_iter=5 --set dynamics.input=condition_mean
"${GAITLAB_PYTHON:-/usr/bin/python3}" - af.h5 <<'PY' || fail "action-feedback condition means against numpy"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
obs, mu, cond = f["recording/obs"][()], f["recording/mu"][()], f["agents/condition"][()]
for k in range(4):
    rows = [np.concatenate([obs[a, t], mu[a, t - 1]]) for a in np.where(cond == k)[0] for t in range(1, obs.shape[1])]
    rows = [r for r in rows if np.all(np.isfinite(r))]
    got = f["dynamics/fixed_points/condition_%d/input_obs" % k][()].ravel()
    assert got.shape == (188,), got.shape
    err = np.abs(got - np.mean(np.array(rows, dtype=np.float64), axis=0)).max()
    assert err < 1e-9, f"condition {k}: {err}"
print("action-feedback condition means: ok")
PY
"$G" run "$GAITLAB_SOURCE_DIR/tests/end_to_end/data/small.yaml" -q --set policy=action_feedback --set output=afnomu.h5 \
  --set 'record=[obs, lstm_h, lstm_c]' || fail "action-feedback run without mu"
check af-no-mu 2 "^gaitlab: error: 'afnomu\.h5': HDF5 dataset '/recording/mu' is missing; the actor reads its previous action: dynamics\.input=condition_mean needs record=\[obs, mu" -- "$G" dynamics afnomu.h5 --set dynamics.input=condition_mean
check no-file 2 "^gaitlab: error: 'nope\.h5': No such file" -- "$G" dynamics nope.h5
check bad-key 2 "^gaitlab: error: .*dynamics\.bogus.*allowed" -- "$G" dynamics s.h5 --set dynamics.bogus=1
check bad-input 2 "^gaitlab: error: .*dynamics\.input.*(zero|allowed)" -- "$G" dynamics s.h5 --set dynamics.input=mean
check not-dyn 2 "^gaitlab: error: --set seed=1: dynamics only accepts dynamics\.\* keys" -- "$G" dynamics s.h5 --set seed=1
check no-layer 2 "^gaitlab: error: 'mu\.h5': HDF5 dataset '/recording/lstm_h' is missing; record lstm_h" -- "$G" dynamics mu.h5
[ "$(wc -l <<<"$out")" = 1 ] || fail "no-layer: more than one line"
check bad-policy 2 "^gaitlab: error: policy 'nosuch'" -- "$G" dynamics s.h5 --policy nosuch
check help 0 "^usage: gaitlab dynamics FILE\.h5" -- "$G" dynamics --help
[ "$fails" = 0 ] && echo "dynamics_cli: ok" || { echo "dynamics_cli: $fails failures"; exit 1; }
