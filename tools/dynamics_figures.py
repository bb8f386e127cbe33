#!/usr/bin/env python3
"""Figures of the dynamics experiments (docs/dynamics.md) from gaitlab's files.

  dynamics_figures.py [--force F...] [--ablation F...] [--fixed-points F] [--out DIR]
                      [--formats png,pdf] [--check]

Written to DIR (a figure whose files are not given is not drawn):

  fig_force_success      success rate (1 - fall rate over the trials whose force was applied)
                         against magnitude, one line per duration, one panel per condition;
                         several files (agents) are drawn side by side
  fig_ablation           fall rate and forward-speed error against the number of units
                         changed, one curve per file (labelled by layer and selection)
  fig_fixed_points       the fixed points of `gaitlab dynamics` over the cycle-averaged lstm_c
                         trajectories, in PC1-PC2 of /analysis/lstm_c/pca (normalization none);
                         filled = stable, open = unstable

Only /agents/*, /conditions/*, /analysis/lstm_c/pca/* and /dynamics/fixed_points/* are read.
--check inspects the drawn figures (curves and points as expected from the files) and the
written files' magic bytes, prints one line per figure and exits 1 if anything is off. A
missing file or dataset exits 2 with one line naming the file and the HDF5 object.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display on cluster nodes or in CI
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PROG = "dynamics_figures"
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


class InputError(Exception):
    """A file or dataset the figures cannot be drawn from (exit 2)."""


def _get(f, path):
    if path not in f or not isinstance(f[path], h5py.Dataset):
        raise InputError(f"{f.filename}: {path}: missing")
    return f[path][()]


def _open(path):
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: cannot open as HDF5 ({e})")


def fig_force(paths):
    files = [_open(p) for p in paths]
    ncond = len(_get(files[0], "/conditions/u"))
    fig, axes = plt.subplots(len(files), ncond, figsize=(4 * ncond, 3.2 * len(files)), squeeze=False)
    expected = 0
    for i, f in enumerate(files):
        a = {k: _get(f, "/agents/" + k) for k in ("condition", "perturbed", "fell", "force_magnitude",
                                                   "force_duration", "force_onset_step")}
        u = _get(f, "/conditions/u")
        for c in range(ncond):
            ax = axes[i][c]
            k = (a["condition"] == c) & (a["perturbed"] > 0) & (a["force_onset_step"] >= 0)
            for d in np.unique(a["force_duration"][k]):
                kd = k & (a["force_duration"] == d)
                mags = np.unique(a["force_magnitude"][kd])
                succ = [100 * (1 - a["fell"][kd & (a["force_magnitude"] == m)].mean()) for m in mags]
                ax.plot(mags, succ, "o-", label=f"{d:g} s", gid="curve")
                expected += 1
            ax.set_ylim(-5, 105)
            ax.set_xlabel("force (body weights)")
            ax.set_ylabel("success (%)")
            ax.set_title(f"{_agent(f)}: u = {u[c]:g} m/s", fontsize=9)
            ax.legend(title="duration", fontsize=8)
    fig.tight_layout()
    return fig, expected


def _agent(f):
    """The file and the agent it recorded (root attribute policy), for titles and legends."""
    name = os.path.basename(f.filename)
    pol = f.attrs.get("policy", b"")
    pol = pol.decode() if isinstance(pol, bytes) else str(pol)
    return f"{pol} ({name})" if pol and pol not in name else name


def _ablation_label(f):
    d = f["/agents/neural_count"].attrs.get("description", b"")
    d = d.decode() if isinstance(d, bytes) else str(d)
    layer = next((w for w in ("lstm_h", "lstm_c", "obs") if w in d), "?")
    sel = "gradient" if "gradient" in d else "random"
    return f"{_agent(f)}: {layer}, {sel}"


def fig_ablation(paths):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    expected = 0
    for p in paths:
        f = _open(p)
        n, fell = _get(f, "/agents/neural_count"), _get(f, "/agents/fell")
        mv, cond, u = _get(f, "/agents/mean_velocity"), _get(f, "/agents/condition"), _get(f, "/conditions/u")
        counts = np.unique(n)
        rate = [100 * fell[n == k].mean() for k in counts]
        err = []
        for k in counts:
            s = (n == k) & (fell == 0)
            err.append(np.abs(mv[s, 0] - u[cond[s]]).mean() if s.any() else np.nan)
        lab = _ablation_label(f)
        x = np.maximum(counts, 0.5)  # N = 0 drawn at 0.5 on the log axis
        ax1.plot(x, rate, "o-", label=lab, gid="curve")
        ax2.plot(x, err, "o-", label=lab, gid="curve")
        expected += 1
    for ax, yl in ((ax1, "fall rate (%)"), (ax2, "|u - u_cmd| of standing agents (m/s)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("units ablated (0 drawn at 0.5)")
        ax.set_ylabel(yl)
    ax1.legend(fontsize=7)
    fig.tight_layout()
    return fig, expected


def fig_fixed_points(path):
    f = _open(path)
    g = f.get("/analysis/lstm_c")
    if g is None:
        raise InputError(f"{path}: /analysis/lstm_c: missing (analyse with analysis.normalize=none)")
    norm = g.attrs.get("normalization", b"?")
    norm = norm.decode() if isinstance(norm, bytes) else str(norm)
    if norm != "none":
        raise InputError(f"{path}: /analysis/lstm_c was normalised ({norm}); the fixed points need the raw PCA basis (analysis.normalize=none)")
    comp, mean = _get(f, "/analysis/lstm_c/pca/components"), _get(f, "/analysis/lstm_c/pca/mean")
    scores = _get(f, "/analysis/lstm_c/pca/scores")
    off = _get(f, "/analysis/lstm_c/condition_offset") if "/analysis/lstm_c/condition_offset" in f else np.array([0, len(scores)])
    if "/dynamics/fixed_points" not in f:
        raise InputError(f"{path}: /dynamics/fixed_points: missing (run gaitlab dynamics first)")
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for c in range(len(off) - 1):
        s = scores[off[c]:off[c + 1]]
        ax.plot(s[:, 0], s[:, 1], "-", lw=1.5, gid="curve")
    npts = 0
    for name, grp in f["/dynamics/fixed_points"].items():
        pts = grp["points"][()]
        if len(pts) == 0:
            continue
        z = (pts[:, 128:] - mean) @ comp[:2].T
        st = grp["spectral_radius"][()] < 1
        ax.scatter(z[st, 0], z[st, 1], marker="o", s=50, label=f"{name}: stable", gid="points")
        ax.scatter(z[~st, 0], z[~st, 1], marker="o", s=50, facecolors="none", edgecolors="k",
                   label=f"{name}: unstable", gid="points")
        npts += len(pts)
    ax.set_xlabel("lstm_c PC1")
    ax.set_ylabel("lstm_c PC2")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig, (len(off) - 1, npts)


def check(name, fig, expected):
    curves = [l for ax in fig.axes for l in ax.get_lines() if l.get_gid() == "curve"]
    if name == "fig_fixed_points":
        ncurves, npts = expected
        pts = sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections if c.get_gid() == "points")
        return len(curves) == ncurves and pts == npts, f"{len(curves)} trajectories, {pts} points"
    return len(curves) == expected * (2 if name == "fig_ablation" else 1), f"{len(curves)} curves"


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[1])
    ap.add_argument("--force", nargs="+", metavar="FILE", help="force-sweep recordings")
    ap.add_argument("--ablation", nargs="+", metavar="FILE", help="ablation recordings")
    ap.add_argument("--fixed-points", metavar="FILE", help="a recording analysed (normalization none) and run through gaitlab dynamics")
    ap.add_argument("--out", default="figures", metavar="DIR")
    ap.add_argument("--formats", default="png,pdf")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    jobs = []
    if a.force:
        jobs.append(("fig_force_success", lambda: fig_force(a.force)))
    if a.ablation:
        jobs.append(("fig_ablation", lambda: fig_ablation(a.ablation)))
    if a.fixed_points:
        jobs.append(("fig_fixed_points", lambda: fig_fixed_points(a.fixed_points)))
    if not jobs:
        print(f"{PROG}: nothing to draw (give --force, --ablation or --fixed-points)", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    bad = 0
    for name, make in jobs:
        try:
            fig, expected = make()
        except (InputError, KeyError) as e:
            print(f"{PROG}: {e}", file=sys.stderr)
            return 2
        ok, what = check(name, fig, expected)
        for fmt in a.formats.split(","):
            path = os.path.join(a.out, f"{name}.{fmt}")
            fig.savefig(path, dpi=150)
            with open(path, "rb") as fh:
                ok = ok and fh.read(8).startswith(MAGIC.get(fmt, b""))
        plt.close(fig)
        print(f"{PROG}: {name}: {what}" + (f" [check {'ok' if ok else 'FAILED'}]" if a.check else ""))
        bad += not ok
    return 1 if a.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
