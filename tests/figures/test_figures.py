"""tools/paper_figures.py on synthetic analysed files whose content is known.

The files have the layout of docs/analysis.md (/analysis/<layer>/pca/scores, tangling/q,
condition_offset, spline/*, speed_axis/projection, ...). The recurrent layer is a circle and
the actuation layer a figure-eight, with tangling values chosen here, so every check
compares what the figures draw with numbers this file wrote: curves per condition, the one
Q colour range of fig. 2, axis labels, colour bars, the projection of raw samples into the
PCs (fig. 3), the scatter's points and diagonal, PNG/PDF magic bytes, and the one-line
errors (exit 2) for a missing dataset, a wrong shape and a missing file.

Run: GAITLAB_SOURCE_DIR=. /usr/bin/python3 tests/figures/test_figures.py
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

SRC = os.environ.get("GAITLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(SRC, "tools", "paper_figures.py")
spec = importlib.util.spec_from_file_location("paper_figures", SCRIPT)
pf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pf)

DT = 0.02
K = 12          # PCs stored, as the analysis does
D = {"lstm_c": 16, "mu": 6}


def curve(layer, P, c, nc):
    """Closed cycle of P samples: a circle (recurrent) or a figure-eight (actuation) in
    PC1-PC2, shifted along PC3 by the condition, plus small higher PCs."""
    t = 2 * np.pi * np.arange(P) / P
    s = np.zeros((P, K))
    r = 1.0 + 0.2 * c
    if layer == "lstm_c":
        s[:, 0], s[:, 1] = r * np.cos(t), r * np.sin(t)
    else:
        s[:, 0], s[:, 1] = r * np.sin(t), r * np.sin(2 * t)
    s[:, 2] = 0.5 * (c - (nc - 1) / 2)
    s[:, 3:] = 0.01 * np.sin(np.outer(t, np.arange(1, K - 2)))
    return s


def write_layer(f, layer, periods, q_of, spline=True):
    """One analysed population with orthonormal components, z-score statistics and Q."""
    nc = len(periods)
    d = D[layer]
    off = np.r_[0, np.cumsum(periods)].astype(np.int64)
    scores = np.concatenate([curve(layer, P, c, nc) for c, P in enumerate(periods) if P] or
                            [np.zeros((0, K))])
    n = len(scores)
    rng = np.random.default_rng(len(layer))
    comp = np.linalg.qr(rng.normal(size=(d, d)))[0].T[:min(K, d)]   # rows orthonormal
    k = comp.shape[0]
    scores = scores[:, :k]
    pmean = rng.normal(scale=0.01, size=d)
    g = f.create_group(f"/analysis/{layer}")
    g.attrs["sampling_period_s"] = DT
    g.attrs["normalization"] = "zscore: pooled over all rows, ddof 0, zero-variance units -> 0"
    g["condition_offset"] = off
    g["row_condition"] = np.repeat(np.arange(nc), periods).astype(np.int32)
    g["row_phase"] = np.concatenate([np.arange(P) for P in periods]).astype(np.int32)
    g["norm_mean"] = rng.normal(size=d)
    g["norm_scale"] = rng.uniform(0.5, 2.0, size=d)
    g["pca/components"] = comp
    g["pca/mean"] = pmean
    g["pca/scores"] = scores
    g["pca/explained_variance_ratio"] = np.linspace(0.4, 0.01, k)
    q = q_of(n)
    g["tangling/q"] = q
    g["tangling/row"] = np.arange(n, dtype=np.int64)
    g["speed_axis/projection"] = scores[:, 2] + 0.1 * scores[:, 3]
    g["speed_axis"].attrs["family"] = "u"
    if spline:
        m = 50
        sp = {ch: np.full((nc, m), np.nan) for ch in ("pc1", "pc2", "pc3", "speed_axis", "time")}
        for c, P in enumerate(periods):
            if P < 2:
                continue
            tt = np.linspace(0, P * DT, m)
            rows = np.r_[np.arange(off[c], off[c + 1]), off[c]]
            tp = np.arange(P + 1) * DT
            for ch, col in (("pc1", scores[rows, 0]), ("pc2", scores[rows, 1]), ("pc3", scores[rows, 2]),
                            ("speed_axis", g["speed_axis/projection"][()][rows])):
                sp[ch][c] = np.interp(tt, tp, col)
            sp["time"][c] = tt
        for ch, a in sp.items():
            g[f"spline/{ch}"] = a
    return scores, comp, pmean


def make_file(path, name, u, v=None, r=None, periods=None, push=None, spline=True,
              q_rec=None, q_act=None):
    """An analysed file: conditions, agents, /analysis/{lstm_c,mu} and, for a push file,
    a raw recording of the pushed agent that retraces its cycle average."""
    u = np.asarray(u, float)
    nc = len(u)
    v = np.zeros(nc) if v is None else np.asarray(v, float)
    r = np.zeros(nc) if r is None else np.asarray(r, float)
    periods = periods or [25] * nc
    q_rec = q_rec or (lambda n: 1.0 + 0.5 * np.sin(np.arange(n)) ** 2)
    q_act = q_act or (lambda n: 2.0 + 8.0 * np.cos(np.arange(n) / 3.0) ** 2)
    with h5py.File(path, "w") as f:
        f.attrs["name"] = name
        yaml = "name: %s\nperturbation:\n  kind: %s\n  step: %d\n" % (
            name, "velocity" if push else "none", push or 0)
        f.attrs["config_yaml"] = yaml
        for key, val in (("u", u), ("v", v), ("r", r)):
            f[f"conditions/{key}"] = val
        copies = 2
        na = nc * copies
        f["agents/condition"] = np.repeat(np.arange(nc), copies).astype(np.int32)
        pert = np.zeros(na, np.int8)
        if push:
            pert[1] = 1          # the second agent: the script must find it, not take agent 0
        f["agents/perturbed"] = pert
        steps = np.arange(400, 900, dtype=np.int64)
        f["recording/step"] = steps
        out = {}
        for layer, qf in (("lstm_c", q_rec), ("mu", q_act)):
            scores, comp, pmean = write_layer(f, layer, periods, qf, spline)
            out[layer] = (scores, comp, pmean)
            if push:
                g = f[f"/analysis/{layer}"]
                P = periods[0]
                idx = np.arange(len(steps)) % P
                z = scores[idx] @ comp + pmean               # normalised units
                x = z * g["norm_scale"][()] + g["norm_mean"][()]
                rec = np.full((na, len(steps), D[layer]), np.nan, np.float32)
                rec[1] = x
                f[f"recording/{layer}"] = rec
    return out


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.exp1 = os.path.join(d, "exp1.h5")
        cls.push = os.path.join(d, "push.h5")
        cls.opp = os.path.join(d, "opp.h5")
        cls.speed = os.path.join(d, "speed.h5")
        make_file(cls.exp1, "paper_exp1_forward", [1.0])
        cls.push_data = make_file(cls.push, "paper_exp1_push", [1.0], push=475)
        make_file(cls.opp, "paper_exp2_opposing", [1, -1, 0, 0, 1, 1], [0, 0, 1, -1, 0, 0],
                  [0, 0, 0, 0, 1, -1], periods=[24, 26, 30, 30, 25, 25], spline=False)
        make_file(cls.speed, "paper_exp3_speed_u", np.linspace(0.4, 1.0, 7),
                  periods=[30, 29, 28, 27, 26, 25, 24])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def args(self, *extra):
        return pf.parse(["--exp1", self.exp1, "--push", self.push, "--opposing", self.opp,
                         "--speed", self.speed, "--out", os.path.join(self.tmp.name, "figs"), *extra])

    def figures(self):
        figs, exps = pf.build(self.args())
        self.addCleanup(lambda: [E.close() for E in exps.values()])
        self.addCleanup(lambda: [pf.plt.close(fig) for _, fig in figs])
        return dict(figs)


class TestDrawn(Base):
    def test_fig2_one_q_scale_for_both_layers(self):
        fig = self.figures()["fig2"]
        with h5py.File(self.exp1) as f:
            q = np.r_[f["/analysis/lstm_c/tangling/q"][()], f["/analysis/mu/tangling/q"][()]]
        axes = [a for a in fig.axes if a.name == "3d"]
        self.assertEqual(len(axes), 2)
        norms = set()
        for ax in axes:
            lines = [c for c in ax.collections if (c.get_gid() or "").startswith("traj:")]
            self.assertEqual(len(lines), 1)              # one condition in exp1
            norms.add((lines[0].norm.vmin, lines[0].norm.vmax))
            vals = lines[0].get_array()
            self.assertGreaterEqual(vals.min(), q.min() - 1e-12)
            self.assertLessEqual(vals.max(), q.max() + 1e-12)
            self.assertTrue(ax.get_xlabel().startswith("PC1"))
            self.assertTrue(ax.get_ylabel().startswith("PC2"))
            self.assertTrue(ax.get_zlabel().startswith("PC3"))
        self.assertEqual(norms, {(q.min(), q.max())})   # shared, and exactly min/max of Q
        cbars = [a for a in fig.axes if a.name != "3d"]
        self.assertEqual(len(cbars), 1)
        cb = cbars[0]._colorbar
        self.assertEqual((cb.norm.vmin, cb.norm.vmax), (q.min(), q.max()))
        self.assertIn("tangling", cb.ax.get_ylabel())

    def test_fig3_projects_the_pushed_agent(self):
        fig = self.figures()["fig3"]
        axes = [a for a in fig.axes if a.name == "3d"]
        self.assertEqual(len(axes), 2)
        for ax, layer in zip(axes, ("lstm_c", "mu")):
            tr = [c for c in ax.collections if c.get_gid() == "traj:push"]
            self.assertEqual(len(tr), 1)
            seg = tr[0]._segments3d                      # drawn points = (PC1, PC2, PC3)
            scores = self.push_data[layer][0]
            P = 25
            # -1.5 .. +3.5 s around step 475 = steps 400 .. 650 = samples 0 .. 250
            idx = np.arange(0, 251) % P
            np.testing.assert_allclose(np.asarray(seg)[:, 0, :], scores[idx[:-1], :3], atol=1e-4)
            t = tr[0].get_array()
            self.assertAlmostEqual(float(t.min()), -1.5)
            self.assertEqual([ln.get_gid() for ln in ax.lines], ["cycle:unperturbed"])
        cb = [a for a in fig.axes if a.name != "3d"][0]._colorbar
        self.assertIn("time", cb.ax.get_ylabel())
        self.assertEqual((cb.norm.vmin, cb.norm.vmax), (-1.5, 3.5))
        self.assertIn("agent 1", fig._suptitle.get_text())

    def test_fig4_six_conditions(self):
        fig = self.figures()["fig4"]
        for ax in (a for a in fig.axes if a.name == "3d"):
            lines = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("traj:")]
            self.assertEqual(len(lines), 6)
            # no spline in this file: each curve is the closed cycle of its rows
            self.assertEqual([len(ln.get_data_3d()[0]) for ln in lines], [25, 27, 31, 31, 26, 26])
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        self.assertEqual(labels, ["u +1", "u -1", "v +1", "v -1", "u +1, r +1", "u +1, r -1"])

    def test_fig5_fig6_speed(self):
        figs = self.figures()
        with h5py.File(self.speed) as f:
            proj = f["/analysis/mu/spline/speed_axis"][()]
            pc3 = f["/analysis/mu/spline/pc3"][()]
        for name, third, ref in (("fig5", "PC3", pc3), ("fig6", "speed axis", proj)):
            fig = figs[name]
            axes = [a for a in fig.axes if a.name == "3d"]
            for ax in axes:
                lines = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("traj:")]
                self.assertEqual(len(lines), 7)
                self.assertTrue(ax.get_zlabel().startswith(third))
            mu_lines = [ln for ln in axes[1].lines if (ln.get_gid() or "").startswith("traj:")]
            np.testing.assert_allclose(mu_lines[3].get_data_3d()[2], ref[3])
            cb = [a for a in fig.axes if a.name != "3d"][0]._colorbar
            self.assertEqual((cb.norm.vmin, cb.norm.vmax), (0.4, 1.0))

    def test_scatter_same_rows_and_diagonal(self):
        fig = self.figures()["fig_tangling_scatter"]
        self.assertEqual(len(fig.axes), 3)               # exp1, opposing, speed
        for ax, path in zip(fig.axes, (self.exp1, self.opp, self.speed)):
            with h5py.File(path) as f:
                qa, qr = f["/analysis/mu/tangling/q"][()], f["/analysis/lstm_c/tangling/q"][()]
            pts = [c for c in ax.collections if c.get_gid() == "rows"][0].get_offsets()
            np.testing.assert_array_equal(np.asarray(pts), np.column_stack([qa, qr]))
            diag = [ln for ln in ax.lines if ln.get_gid() == "diagonal"][0]
            x, y = diag.get_data()
            np.testing.assert_array_equal(x, y)
            self.assertGreaterEqual(max(x), max(qa.max(), qr.max()))
            self.assertIn(f"on {int(np.sum(qr < qa))} of {len(qa)} rows", ax.get_title())

    def test_checker_finds_defects(self):
        """--check must fail a figure whose layers do not share the colour range, or that
        lost a curve or a label: the check is not vacuous."""
        figs = self.figures()
        for name, fig in figs.items():
            self.assertEqual(pf.check_figure(name, fig), [], name)
        fig = figs["fig2"]
        ax = [a for a in fig.axes if a.name == "3d"][1]
        ax.collections[0].norm = pf.colors.Normalize(0, 1)
        self.assertTrue(any("colour range" in b for b in pf.check_figure("fig2", fig)))
        fig = figs["fig4"]
        fig.axes[0].lines[0].remove()
        self.assertTrue(any("5 curves" in b for b in pf.check_figure("fig4", fig)))
        fig = figs["fig3"]
        fig.axes[0].lines[0].remove()
        self.assertTrue(any("0 unperturbed cycle averages" in b for b in pf.check_figure("fig3", fig)))
        fig = figs["fig6"]
        fig.axes[0].set_zlabel("PC3")
        self.assertTrue(any("axis labels" in b for b in pf.check_figure("fig6", fig)))

    def test_condition_without_cycles_is_not_drawn(self):
        p = os.path.join(self.tmp.name, "gap.h5")
        make_file(p, "paper_exp3_speed_u", [0.4, 0.7, 1.0], periods=[26, 0, 24], spline=False)
        figs, exps = pf.build(pf.parse(["--speed", p, "--out", self.tmp.name]))
        fig = dict(figs)["fig5"]
        self.assertEqual(pf.check_figure("fig5", fig), [])
        ax = [a for a in fig.axes if a.name == "3d"][0]
        self.assertEqual(sorted(ln.get_gid() for ln in ax.lines), ["traj:0", "traj:2"])
        for E in exps.values():
            E.close()
        for _, fg in figs:
            pf.plt.close(fg)


class TestCommandLine(Base):
    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)

    def test_writes_png_and_pdf(self):
        out = os.path.join(self.tmp.name, "cli")
        p = self.run_script("--exp1", self.exp1, "--push", self.push, "--opposing", self.opp,
                            "--speed", self.speed, "--out", out, "--check")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for name in ("fig2", "fig3", "fig4", "fig5", "fig6", "fig_tangling_scatter"):
            self.assertIn(f"{name}: ", p.stdout)
            for ext, magic in (("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF-")):
                path = os.path.join(out, f"{name}.{ext}")
                self.assertGreater(os.path.getsize(path), 1000, path)
                with open(path, "rb") as fh:
                    self.assertEqual(fh.read(len(magic)), magic, path)
        self.assertEqual(p.stdout.count("[check ok]"), 6, p.stdout)

    def test_missing_dataset(self):
        p_bad = os.path.join(self.tmp.name, "bad.h5")
        make_file(p_bad, "x", [1.0])
        with h5py.File(p_bad, "a") as f:
            del f["/analysis/mu/pca/scores"]
        p = self.run_script("--exp1", p_bad, "--out", self.tmp.name)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(p_bad, p.stderr)
        self.assertIn("/analysis/mu/pca/scores: missing", p.stderr)

    def test_wrong_shape(self):
        p_bad = os.path.join(self.tmp.name, "shape.h5")
        make_file(p_bad, "x", [1.0])
        with h5py.File(p_bad, "a") as f:
            del f["/analysis/lstm_c/norm_scale"]
            f["/analysis/lstm_c/norm_scale"] = np.ones(3)
        p = self.run_script("--exp1", p_bad, "--out", self.tmp.name)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("/analysis/lstm_c/norm_scale: expected shape", p.stderr)

    def test_missing_layer_and_file(self):
        p = self.run_script("--exp1", self.exp1, "--recurrent", "lstm_h", "--out", self.tmp.name)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/analysis/lstm_h: missing (analysed layers: lstm_c, mu)", p.stderr)
        p = self.run_script("--push", os.path.join(self.tmp.name, "nope.h5"), "--out", self.tmp.name)
        self.assertEqual(p.returncode, 2)
        self.assertIn("nope.h5: no such file", p.stderr)

    def test_no_cycles(self):
        p_bad = os.path.join(self.tmp.name, "still.h5")
        make_file(p_bad, "x", [1.0, 0.5], periods=[0, 1], spline=False)
        p = self.run_script("--speed", p_bad, "--out", self.tmp.name)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no condition has a cycle average", p.stderr)

    def test_push_without_perturbed_agent(self):
        p = self.run_script("--push", self.exp1, "--out", self.tmp.name)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/agents/perturbed: no perturbed agent", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
