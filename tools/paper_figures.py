#!/usr/bin/env python3
"""Figures 2-6 of Rush, Jayaram & Humbert (arXiv 2305.11107) from gaitlab's analysed files.

  paper_figures.py [--exp1 F] [--push F] [--opposing F] [--speed F] [--out DIR]
                   [--recurrent LAYER] [--actuation LAYER] [--formats png,pdf] [--check]

Each option names one analysed recording (`gaitlab run` with an analysis: block, or
`gaitlab analyze`); a figure whose file is not given is not drawn. Written to DIR:

  fig2   exp1: cycle-averaged trajectories in PC1-PC3 of the recurrent and the actuation
         layer, coloured by tangling Q on one colour scale shared by both layers
  fig3   push: the raw trace of the pushed agent, projected into each layer's PCs and
         coloured by time since the push, over that agent's cycle average
  fig4   opposing: every condition's cycle average in PC1-PC3
  fig5   speed: the speed sweep in PC1-PC3, coloured by commanded speed
  fig6   speed: the same in PC1, PC2 and the speed axis
  fig_tangling_scatter   Q_actuation vs Q_recurrent on the same cycle-average rows, one
         panel per experiment given (exp1, opposing, speed), with the diagonal

The datasets read are those of docs/analysis.md (/analysis/<layer>/pca/scores,
tangling/q and row, condition_offset, spline/*, speed_axis/projection, norm_mean,
norm_scale, pca/mean, pca/components; /recording/<layer>, /agents/*, /conditions/*).

--check inspects the drawn matplotlib Figure objects (curves per condition, shared colour
range, axis labels, colour bars) and the written files (PNG/PDF magic bytes), prints one
line per figure and exits 1 if anything is off. A missing file, dataset or a wrong shape
exits 2 with one line naming the file and the HDF5 object.
"""
import argparse
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display on cluster nodes or in CI
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import cm, colors  # noqa: E402
from mpl_toolkits.mplot3d.art3d import Line3DCollection  # noqa: E402 (also registers '3d')

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
PROG = "paper_figures"


class InputError(Exception):
    """An input file, dataset or shape that the figures cannot be drawn from (exit 2)."""


# ---- reading -------------------------------------------------------------------------

def _get(f, path, ndim=None, shape=None):
    """Dataset `path` of open file `f` as a numpy array, with its rank/shape checked."""
    if path not in f:
        raise InputError(f"{f.filename}: {path}: missing (is the file analysed? see docs/analysis.md)")
    obj = f[path]
    if not isinstance(obj, h5py.Dataset):
        raise InputError(f"{f.filename}: {path}: not a dataset")
    a = obj[()]
    if ndim is not None and np.ndim(a) != ndim:
        raise InputError(f"{f.filename}: {path}: expected {ndim}-D, found shape {np.shape(a)}")
    if shape is not None:
        for i, s in enumerate(shape):
            if s is not None and a.shape[i] != s:
                raise InputError(f"{f.filename}: {path}: expected shape {tuple(shape)} (None = any), "
                                 f"found {a.shape}")
    return a


def _attr(obj, name, default=None):
    v = obj.attrs.get(name, default)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(()).item()
        if isinstance(v, bytes):
            v = v.decode()
    return v


class Layer:
    """One analysed population: cycle-average rows, their PC scores, tangling, splines."""

    def __init__(self, f, name):
        g = f"/analysis/{name}"
        if g not in f:
            have = sorted(k for k in f["/analysis"].keys() if k != "cycles") if "/analysis" in f else []
            raise InputError(f"{f.filename}: {g}: missing (analysed layers: {', '.join(have) or 'none'})")
        self.name = name
        self.file = f.filename
        self.dt = float(_attr(f[g], "sampling_period_s", 0.02))
        self.scores = _get(f, f"{g}/pca/scores", ndim=2)
        n, k = self.scores.shape
        if k < 3:
            raise InputError(f"{f.filename}: {g}/pca/scores: needs >= 3 PCs, found shape {self.scores.shape}")
        self.offset = _get(f, f"{g}/condition_offset", ndim=1).astype(np.int64)
        if self.offset[0] != 0 or self.offset[-1] != n or np.any(np.diff(self.offset) < 0):
            raise InputError(f"{f.filename}: {g}/condition_offset: not 0 ... {n} non-decreasing "
                             f"(found {self.offset.tolist()})")
        self.nc = len(self.offset) - 1
        self.ratio = _get(f, f"{g}/pca/explained_variance_ratio", ndim=1)
        self.q = np.full(n, np.nan)
        tq = f"{g}/tangling/q"
        if tq in f:
            q = _get(f, tq, ndim=1)
            row = _get(f, f"{g}/tangling/row", ndim=1, shape=(len(q),)).astype(np.int64)
            if len(row) and (row.min() < 0 or row.max() >= n):
                raise InputError(f"{f.filename}: {g}/tangling/row: rows outside 0 .. {n - 1}")
            self.q[row] = q
        self.has_q = tq in f
        self.projection = None
        if f"{g}/speed_axis/projection" in f:
            self.projection = _get(f, f"{g}/speed_axis/projection", ndim=1, shape=(n,))
        self.spline = {}
        if f"{g}/spline" in f:
            for ch in ("pc1", "pc2", "pc3", "speed_axis", "time"):
                p = f"{g}/spline/{ch}"
                if p in f:
                    self.spline[ch] = _get(f, p, ndim=2, shape=(self.nc, None))
        self.norm = str(_attr(f[g], "normalization", "zscore")).split(":")[0].strip()
        self.norm_mean = _get(f, f"{g}/norm_mean", ndim=1)
        self.norm_scale = _get(f, f"{g}/norm_scale", ndim=1, shape=(len(self.norm_mean),))
        self.pca_mean = _get(f, f"{g}/pca/mean", ndim=1, shape=(len(self.norm_mean),))
        self.components = _get(f, f"{g}/pca/components", ndim=2, shape=(None, len(self.norm_mean)))

    def rows(self, c):
        return slice(int(self.offset[c]), int(self.offset[c + 1]))

    def has_cycle(self, c):
        return self.offset[c + 1] - self.offset[c] >= 2

    def pc_label(self, i):
        return f"PC{i + 1} ({100 * self.ratio[i]:.0f} %)" if i < len(self.ratio) else f"PC{i + 1}"

    def trajectory(self, c, third="pc3"):
        """Closed cycle of condition c: (x, y, z, t) from the periodic spline when stored,
        else the cycle-average rows with the first appended (t in s from lift-off)."""
        zkey = "pc3" if third == "pc3" else "speed_axis"
        keys = ("pc1", "pc2", zkey, "time")
        if all(k in self.spline for k in keys) and np.all(np.isfinite(self.spline["pc1"][c])):
            return tuple(self.spline[k][c] for k in keys)
        r = self.rows(c)
        idx = np.r_[np.arange(r.start, r.stop), r.start]
        z = self.scores[idx, 2] if third == "pc3" else self.projection[idx]
        t = np.arange(len(idx)) * self.dt
        return self.scores[idx, 0], self.scores[idx, 1], z, t

    def q_along(self, c, t):
        """Q of condition c at times t of its closed cycle: linear interpolation between
        the rows (periodic), so the colours stay inside the rows' own range of Q."""
        r = self.rows(c)
        qs = self.q[r]
        tp = np.arange(len(qs)) * self.dt
        return np.interp(t, tp, qs, period=len(qs) * self.dt)

    def project(self, x):
        """Raw samples [n x d] of this layer into its first 3 PCs: the layer's own
        normalisation (docs/analysis.md §3) then (z - pca mean) components^T (§4)."""
        s = self.norm_scale
        safe = np.where(s > 0, s, 1.0)
        if self.norm == "zscore":
            z = np.where(s > 0, (x - self.norm_mean) / safe, 0.0)
        elif self.norm == "range":
            z = np.where(s > 0, x / safe - self.norm_mean, 0.0)
        else:
            z = x
        return (z - self.pca_mean) @ self.components[:3].T


class Experiment:
    def __init__(self, path, layers):
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file")
        try:
            self.h5 = h5py.File(path, "r")
        except OSError as e:
            raise InputError(f"{path}: not an HDF5 file ({e})")
        f = self.h5
        self.path = path
        self.name = str(_attr(f, "name", os.path.basename(path)))
        self.u = _get(f, "/conditions/u", ndim=1)
        self.v = _get(f, "/conditions/v", ndim=1, shape=(len(self.u),))
        self.r = _get(f, "/conditions/r", ndim=1, shape=(len(self.u),))
        self.layers = {name: Layer(f, name) for name in layers}
        for L in self.layers.values():
            if L.nc != len(self.u):
                raise InputError(f"{path}: /analysis/{L.name}/condition_offset: {L.nc} conditions, "
                                 f"/conditions/u has {len(self.u)}")

    def label(self, c):
        parts = [f"{n} {x:+.2g}" for n, x in (("u", self.u[c]), ("v", self.v[c]), ("r", self.r[c]))
                 if x != 0]
        return ", ".join(parts) if parts else "stand"

    def close(self):
        self.h5.close()


def push_step_of(f):
    """perturbation.step from the stored experiment YAML (the root attribute config_yaml)."""
    text = str(_attr(f, "config_yaml", ""))
    m = re.search(r"^perturbation:[^\n]*\n((?:[ \t]+[^\n]*\n?|[ \t]*\n)*)", text, re.M)
    if m:
        s = re.search(r"^[ \t]+step:[ \t]*(\d+)", m.group(1), re.M)
        if s:
            return int(s.group(1))
    return None


# ---- drawing -------------------------------------------------------------------------

def _limits(ax, pts):
    pts = np.asarray(pts)
    lo, hi = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-9)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_zlim(lo[2] - pad[2], hi[2] + pad[2])


def _labels(ax, L, third="pc3"):
    ax.set_xlabel(L.pc_label(0))
    ax.set_ylabel(L.pc_label(1))
    ax.set_zlabel(L.pc_label(2) if third == "pc3" else "speed axis")


def _coloured_line(ax, x, y, z, values, cmap, norm, gid, lw=2.5):
    """A 3-D curve as segments coloured by `values` (one per segment start)."""
    p = np.column_stack([x, y, z])
    seg = np.stack([p[:-1], p[1:]], axis=1)
    lc = Line3DCollection(seg, cmap=cmap, norm=norm, linewidths=lw)
    lc.set_array(np.asarray(values[:-1], dtype=float))
    lc.set_gid(gid)
    ax.add_collection3d(lc)
    return lc


def _drawable(E, Ls):
    """Conditions with a cycle average (>= 2 rows) in every layer; none is an input error."""
    conds = [c for c in range(Ls[0].nc) if all(L.has_cycle(c) for L in Ls)]
    if not conds:
        raise InputError(f"{E.path}: /analysis/{Ls[0].name}/condition_offset: no condition has a "
                         f"cycle average of >= 2 rows (did the agents step?)")
    return conds


def _meta(fig, **kw):
    fig._gaitlab = kw  # what the checker expects, computed from the data, not from the artists
    return fig


def fig2(E, rec, act):
    """exp1: PC1-PC3 of both layers, coloured by Q on one shared scale."""
    Ls = [E.layers[rec], E.layers[act]]
    for L in Ls:
        if not L.has_q:
            raise InputError(f"{E.path}: /analysis/{L.name}/tangling/q: missing (fig2 colours by Q)")
    qall = np.concatenate([L.q for L in Ls])
    qmin, qmax = float(np.nanmin(qall)), float(np.nanmax(qall))
    norm = colors.Normalize(vmin=qmin, vmax=qmax)
    cmap = plt.get_cmap("viridis")
    fig = plt.figure(figsize=(11, 5))
    conds = _drawable(E, Ls)
    axes = []
    for i, (L, title) in enumerate(zip(Ls, ("recurrent", "actuation"))):
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        pts = []
        for c in conds:
            x, y, z, t = L.trajectory(c)
            _coloured_line(ax, x, y, z, L.q_along(c, t), cmap, norm, f"traj:{c}")
            pts.append(np.column_stack([x, y, z]))
        _limits(ax, np.concatenate(pts))
        _labels(ax, L)
        ax.set_title(f"{title} ({L.name})")
        axes.append(ax)
    cb = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.7, pad=0.08)
    cb.set_label("tangling Q (one scale for both layers)")
    fig.suptitle(f"{E.name}: cycle averages, " + ", ".join(E.label(c) for c in conds))
    return _meta(fig, curves=len(conds), q_range=(qmin, qmax), third="PC3", colorbars=1,
                 shared_norm=True)


def fig3(E, rec, act, agent=None, span=(1.5, 3.5), push_step=None):
    """push: the pushed agent's raw trace in each layer's PCs, coloured by time since the
    push, over its cycle average."""
    f = E.h5
    pert = _get(f, "/agents/perturbed", ndim=1)
    if agent is None:
        hit = np.flatnonzero(pert)
        if len(hit) == 0:
            raise InputError(f"{E.path}: /agents/perturbed: no perturbed agent")
        agent = int(hit[0])
    if not 0 <= agent < len(pert):
        raise InputError(f"{E.path}: /agents/perturbed: agent {agent} outside 0 .. {len(pert) - 1}")
    cond = int(_get(f, "/agents/condition", ndim=1, shape=(len(pert),))[agent])
    steps = _get(f, "/recording/step", ndim=1)
    if push_step is None:
        push_step = push_step_of(f)
    if push_step is None:
        raise InputError(f"{E.path}: / config_yaml: no perturbation.step (pass --push-step)")
    dt = E.layers[rec].dt
    t = (steps - push_step) * dt
    keep = (t >= -span[0]) & (t <= span[1])
    tnorm = colors.Normalize(vmin=float(t[keep].min()), vmax=float(t[keep].max()))
    cmap = plt.get_cmap("plasma")
    fig = plt.figure(figsize=(11, 5))
    axes = []
    for i, (name, title) in enumerate(((rec, "recurrent"), (act, "actuation"))):
        L = E.layers[name]
        x = _get(f, f"/recording/{name}", ndim=3, shape=(len(pert), len(steps), len(L.norm_mean)))[agent]
        good = keep & np.all(np.isfinite(x), axis=1)
        if good.sum() < 2:
            raise InputError(f"{E.path}: /recording/{name}: agent {agent} has < 2 finite samples "
                             f"in {-span[0]} .. {span[1]} s around the push")
        p = L.project(x[good])
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        ax.computed_zorder = False  # keep the cycle average on top of the transient
        pts = [p]
        if L.has_cycle(cond):
            cx, cy, cz, _ = L.trajectory(cond)
            ax.plot(cx, cy, cz, color="black", lw=2.5, alpha=0.7, zorder=5, gid="cycle:unperturbed",
                    label="unperturbed cycle average")
            pts.append(np.column_stack([cx, cy, cz]))
        _coloured_line(ax, p[:, 0], p[:, 1], p[:, 2], t[good], cmap, tnorm, "traj:push", lw=1.8)
        k0 = np.flatnonzero(good & (steps >= push_step))
        if len(k0):
            q0 = L.project(x[k0[:1]])[0]
            ax.scatter([q0[0]], [q0[1]], [q0[2]], color="red", s=40, zorder=6, gid="push", label="push")
        _limits(ax, np.concatenate(pts))
        _labels(ax, L)
        ax.set_title(f"{title} ({name})")
        ax.legend(loc="upper left", fontsize=8)
        axes.append(ax)
    cb = fig.colorbar(cm.ScalarMappable(norm=tnorm, cmap=cmap), ax=axes, shrink=0.7, pad=0.08)
    cb.set_label("time since push (s)")
    fig.suptitle(f"{E.name}: agent {agent} ({E.label(cond)}), push at step {push_step}")
    return _meta(fig, curves=1, third="PC3", colorbars=1, t_range=(tnorm.vmin, tnorm.vmax),
                 cycle=all(E.layers[n].has_cycle(cond) for n in (rec, act)))


def _per_condition(E, rec, act, title, third, colour_of, cbar=None):
    fig = plt.figure(figsize=(11, 5))
    Ls = [E.layers[rec], E.layers[act]]
    conds = _drawable(E, Ls)
    axes = []
    for i, (L, lt) in enumerate(zip(Ls, ("recurrent", "actuation"))):
        if third != "pc3" and L.projection is None:
            raise InputError(f"{E.path}: /analysis/{L.name}/speed_axis/projection: missing")
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        pts = []
        for c in conds:
            x, y, z, _ = L.trajectory(c, third)
            ax.plot(x, y, z, color=colour_of(c), lw=2, gid=f"traj:{c}", label=E.label(c))
            pts.append(np.column_stack([x, y, z]))
        _limits(ax, np.concatenate(pts))
        _labels(ax, L, third)
        ax.set_title(f"{lt} ({L.name})")
        axes.append(ax)
    if cbar is None:
        h, lab = axes[0].get_legend_handles_labels()
        fig.legend(h, lab, loc="lower center", ncol=min(len(lab), 6), fontsize=9, frameon=False)
    else:
        norm, cmap, label = cbar
        cb = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.7, pad=0.08)
        cb.set_label(label)
    fig.suptitle(f"{E.name}: {title}")
    return fig, len(conds)


def fig4(E, rec, act):
    """opposing: one curve per condition in PC1-PC3."""
    pal = plt.get_cmap("tab10")
    fig, n = _per_condition(E, rec, act, "opposing conditions, cycle averages", "pc3",
                            lambda c: pal(c % 10))
    return _meta(fig, curves=n, third="PC3", colorbars=0)


def _speed_family(E, L):
    fam = "u"
    g = E.h5[f"/analysis/{L}"]
    if "speed_axis" in g:
        fam = str(_attr(g["speed_axis"], "family", "u"))
    return fam, {"u": E.u, "v": E.v, "r": E.r}.get(fam, E.u)


def _speed_fig(E, rec, act, third):
    fam, s = _speed_family(E, rec)
    norm = colors.Normalize(vmin=float(np.min(s)), vmax=float(np.max(s)))
    cmap = plt.get_cmap("viridis")
    unit = "rad/s" if fam == "r" else "m/s"
    where = "PC1-PC3" if third == "pc3" else "PC1, PC2 and the speed axis"
    fig, n = _per_condition(E, rec, act, f"speed sweep in {where}", third,
                            lambda c: cmap(norm(s[c])), (norm, cmap, f"commanded {fam} ({unit})"))
    return _meta(fig, curves=n, third="PC3" if third == "pc3" else "speed axis", colorbars=1)


def fig5(E, rec, act):
    return _speed_fig(E, rec, act, "pc3")


def fig6(E, rec, act):
    return _speed_fig(E, rec, act, "speed_axis")


def fig_scatter(exps, rec, act):
    """Russo et al. 2018 fig. 3 style: Q_actuation (x) vs Q_recurrent (y) per row."""
    fig, axes = plt.subplots(1, len(exps), figsize=(4.5 * len(exps) + 0.5, 4.6), squeeze=False)
    npts = []
    for ax, (tag, E) in zip(axes[0], exps):
        R, A = E.layers[rec], E.layers[act]
        for L in (R, A):
            if not L.has_q:
                raise InputError(f"{E.path}: /analysis/{L.name}/tangling/q: missing")
        if len(R.q) != len(A.q) or not np.array_equal(R.offset, A.offset):
            raise InputError(f"{E.path}: /analysis/{act}/condition_offset: rows differ from "
                             f"{rec}'s ({len(A.q)} vs {len(R.q)}); the scatter pairs the same rows")
        ok = np.isfinite(R.q) & np.isfinite(A.q)
        qa, qr = A.q[ok], R.q[ok]
        ax.scatter(qa, qr, s=10, alpha=0.6, color="tab:blue", gid="rows")
        hi = 1.05 * float(max(qa.max(), qr.max()))
        ax.plot([0, hi], [0, hi], color="0.4", lw=1, ls="--", gid="diagonal")
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_aspect("equal")
        ax.set_xlabel(f"Q actuation ({act})")
        ax.set_ylabel(f"Q recurrent ({rec})")
        below = int(np.sum(qr < qa))
        ax.set_title(f"{tag}: {E.name}\nQ_rec < Q_act on {below} of {len(qa)} rows", fontsize=9)
        npts.append(len(qa))
    fig.tight_layout()
    return _meta(fig, points=npts, panels=len(exps))


# ---- checking ------------------------------------------------------------------------

def _traj(ax):
    return [a for a in list(ax.collections) + list(ax.lines)
            if (a.get_gid() or "").startswith("traj:")]


def check_figure(name, fig):
    """Problems found in a drawn figure (empty list = fine), from its artists."""
    m = fig._gaitlab
    bad = []
    if name == "fig_tangling_scatter":
        axes = list(fig.axes)
        if len(axes) != m["panels"]:
            bad.append(f"{len(axes)} panels, expected {m['panels']}")
        for ax, n in zip(axes, m["points"]):
            sc = [c for c in ax.collections if c.get_gid() == "rows"]
            if len(sc) != 1 or len(sc[0].get_offsets()) != n:
                bad.append(f"scatter: expected {n} points")
            dg = [ln for ln in ax.lines if ln.get_gid() == "diagonal"]
            if len(dg) != 1:
                bad.append("no diagonal")
            else:
                x, y = dg[0].get_data()
                if not np.allclose(x, y):
                    bad.append("diagonal is not y = x")
            if "actuation" not in ax.get_xlabel() or "recurrent" not in ax.get_ylabel():
                bad.append(f"axis labels '{ax.get_xlabel()}', '{ax.get_ylabel()}'")
        return bad
    plot_axes = [a for a in fig.axes if a.name == "3d"]
    cbars = [a for a in fig.axes if a.name != "3d"]
    if len(plot_axes) != 2:
        bad.append(f"{len(plot_axes)} 3-D panels, expected 2 (recurrent, actuation)")
    norms = []
    for ax in plot_axes:
        tr = _traj(ax)
        if len(tr) != m["curves"]:
            bad.append(f"{ax.get_title()}: {len(tr)} curves, expected {m['curves']}")
        want = ("PC1", "PC2", m["third"])
        got = (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel())
        if not all(g.startswith(w) for g, w in zip(got, want)):
            bad.append(f"{ax.get_title()}: axis labels {got}, expected {want}")
        norms += [(a.norm.vmin, a.norm.vmax) for a in tr if hasattr(a, "norm") and a.get_array() is not None]
    if len(cbars) != m["colorbars"]:
        bad.append(f"{len(cbars)} colour bars, expected {m['colorbars']}")
    if m.get("shared_norm"):
        if len(set(norms)) != 1:
            bad.append(f"colour ranges differ between curves/layers: {sorted(set(norms))}")
        elif not np.allclose(norms[0], m["q_range"], rtol=0, atol=0):
            bad.append(f"colour range {norms[0]} is not min/max of Q {m['q_range']}")
        if cbars:
            cb = cbars[0]._colorbar
            if (cb.norm.vmin, cb.norm.vmax) != tuple(m["q_range"]):
                bad.append(f"colour bar range {(cb.norm.vmin, cb.norm.vmax)} != Q range {m['q_range']}")
    if "t_range" in m:
        if len(set(norms)) != 1 or not np.allclose(norms[0], m["t_range"]):
            bad.append(f"time colour ranges {sorted(set(norms))}, expected {m['t_range']} in both layers")
        for ax in plot_axes:
            n = sum(ln.get_gid() == "cycle:unperturbed" for ln in ax.lines)
            if n != int(m["cycle"]):
                bad.append(f"{ax.get_title()}: {n} unperturbed cycle averages drawn, expected {int(m['cycle'])}")
    return bad


def check_file(path):
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return [f"{path}: missing or empty"]
    with open(path, "rb") as fh:
        head = fh.read(8)
    magic = PNG_MAGIC if path.endswith(".png") else PDF_MAGIC if path.endswith(".pdf") else b""
    if magic and not head.startswith(magic):
        return [f"{path}: not a {path.rsplit('.', 1)[-1].upper()} file (starts {head!r})"]
    return []


# ---- main ----------------------------------------------------------------------------

def build(args):
    """Open the inputs and draw the figures: [(name, Figure)]; the Experiments stay open."""
    layers = (args.recurrent, args.actuation)
    figs, exps = [], {}
    for tag in ("exp1", "push", "opposing", "speed"):
        p = getattr(args, tag)
        if p:
            exps[tag] = Experiment(p, layers)
    if "exp1" in exps:
        figs.append(("fig2", fig2(exps["exp1"], *layers)))
    if "push" in exps:
        figs.append(("fig3", fig3(exps["push"], *layers, agent=args.push_agent,
                                  span=tuple(args.push_span), push_step=args.push_step)))
    if "opposing" in exps:
        figs.append(("fig4", fig4(exps["opposing"], *layers)))
    if "speed" in exps:
        figs.append(("fig5", fig5(exps["speed"], *layers)))
        figs.append(("fig6", fig6(exps["speed"], *layers)))
    sc = [(t, exps[t]) for t in ("exp1", "opposing", "speed") if t in exps]
    if sc:
        figs.append(("fig_tangling_scatter", fig_scatter(sc, *layers)))
    return figs, exps


def parse(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exp1", metavar="FILE", help="exp1 forward (fig2, scatter)")
    ap.add_argument("--push", metavar="FILE", help="exp1 push (fig3)")
    ap.add_argument("--opposing", metavar="FILE", help="exp2 opposing conditions (fig4, scatter)")
    ap.add_argument("--speed", metavar="FILE", help="exp3 speed sweep (fig5, fig6, scatter)")
    ap.add_argument("--out", default="figures", metavar="DIR", help="output folder (default: figures)")
    ap.add_argument("--recurrent", default="lstm_c", metavar="LAYER", help="default: lstm_c")
    ap.add_argument("--actuation", default="mu", metavar="LAYER", help="default: mu")
    ap.add_argument("--formats", default="png,pdf", help="comma-separated (default: png,pdf)")
    ap.add_argument("--dpi", type=int, default=150, help="PNG resolution (default: 150)")
    ap.add_argument("--push-agent", type=int, default=None, metavar="I",
                    help="agent of fig3 (default: the first with /agents/perturbed set)")
    ap.add_argument("--push-step", type=int, default=None, metavar="STEP",
                    help="push step (default: perturbation.step of the file's config_yaml)")
    ap.add_argument("--push-span", type=float, nargs=2, default=(1.5, 3.5), metavar=("BEFORE", "AFTER"),
                    help="seconds drawn before and after the push (default: 1.5 3.5)")
    ap.add_argument("--check", action="store_true",
                    help="check what each figure draws and the written files; exit 1 on a problem")
    a = ap.parse_args(argv)
    if not any((a.exp1, a.push, a.opposing, a.speed)):
        ap.error("give at least one of --exp1, --push, --opposing, --speed")
    return a


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    formats = [x.strip() for x in args.formats.split(",") if x.strip()]
    try:
        figs, exps = build(args)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    problems = 0
    for name, fig in figs:
        paths = []
        for ext in formats:
            p = os.path.join(args.out, f"{name}.{ext}")
            fig.savefig(p, dpi=args.dpi)
            paths.append(p)
        line = f"{PROG}: {name}: " + ", ".join(paths)
        if args.check:
            bad = check_figure(name, fig) + sum((check_file(p) for p in paths), [])
            problems += len(bad)
            line += " [check " + ("ok" if not bad else "FAILED: " + "; ".join(bad)) + "]"
        print(line)
        plt.close(fig)
    for E in exps.values():
        E.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
