/* Hand-written SVG figures: one or more panels with axes, ticks and labels, one polyline
 * per condition coloured by commanded speed (viridis), and a legend on the right. Plain
 * text, no dependencies, so figures open in any browser and diff cleanly. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

enum { GLREP_W = 720, GLREP_PANEL_H = 420, GLREP_ML = 80, GLREP_MR = 170, GLREP_MT = 40, GLREP_MB = 60 };

/* Viridis at t in [0, 1] (five anchors, linear in between). */
static void glrep_colour_(double t, char out[8]) {
  static const unsigned char a[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  double s = t * 4;
  int i = s >= 4 ? 3 : (int)s;
  double w = s - i;
  int rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = (int)lround(a[i][k] * (1 - w) + a[i + 1][k] * w);
  snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* A "nice" tick step (1, 2 or 5 x 10^k) giving about five intervals over [lo, hi]. */
static double glrep_tick_step_(double lo, double hi) {
  double raw = (hi - lo) / 5, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

typedef struct glrep_panel {
  double x0, y0, w, h;         /* plot area in pixels */
  double xlo, xhi, ylo, yhi;   /* data range */
} glrep_panel;

static double glrep_px_(const glrep_panel *p, double x) { return p->x0 + (x - p->xlo) / (p->xhi - p->xlo) * p->w; }
static double glrep_py_(const glrep_panel *p, double y) { return p->y0 + p->h - (y - p->ylo) / (p->yhi - p->ylo) * p->h; }

/* Data range of the curves, padded by 5% and snapped outwards to ticks. */
static void glrep_range_(const glrep_curves *cv, int nseg, glrep_panel *p, int fix_x01) {
  double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
  for (int i = 0; i < cv->off[nseg]; ++i) {
    xl = fmin(xl, cv->x[i]);
    xh = fmax(xh, cv->x[i]);
    yl = fmin(yl, cv->y[i]);
    yh = fmax(yh, cv->y[i]);
  }
  if (!(xl <= xh)) xl = 0, xh = 1;
  if (!(yl <= yh)) yl = 0, yh = 1;
  if (fix_x01) xl = 0, xh = 1;
  double *lo[2] = {&xl, &yl}, *hi[2] = {&xh, &yh};
  for (int k = 0; k < 2; ++k) {
    if (k == 0 && fix_x01) continue;
    double span = *hi[k] - *lo[k];
    if (!(span > 1e-12 * fmax(1, fabs(*hi[k])))) span = fmax(1, fabs(*hi[k]));
    *lo[k] -= 0.05 * span;
    *hi[k] += 0.05 * span;
    double st = glrep_tick_step_(*lo[k], *hi[k]);
    *lo[k] = floor(*lo[k] / st) * st;
    *hi[k] = ceil(*hi[k] / st) * st;
  }
  p->xlo = xl, p->xhi = xh, p->ylo = yl, p->yhi = yh;
}

static void glrep_axes_(FILE *o, const glrep_panel *p, const char *title, const char *xl, const char *yl) {
  fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n",
          p->x0, p->y0, p->w, p->h);
  fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
          p->x0 + p->w / 2, p->y0 - 12, title);
  double st = glrep_tick_step_(p->xlo, p->xhi);
  for (double t = ceil(p->xlo / st - 1e-9) * st; t <= p->xhi + 1e-9 * st; t += st) {
    double x = glrep_px_(p, t), v = fabs(t) < 1e-9 * st ? 0 : t;
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", x, p->y0 + p->h, x, p->y0 + p->h + 5);
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%g</text>\n", x, p->y0 + p->h + 18, v);
  }
  st = glrep_tick_step_(p->ylo, p->yhi);
  for (double t = ceil(p->ylo / st - 1e-9) * st; t <= p->yhi + 1e-9 * st; t += st) {
    double y = glrep_py_(p, t), v = fabs(t) < 1e-9 * st ? 0 : t;
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", p->x0 - 5, y, p->x0, y);
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%g</text>\n", p->x0 - 8, y + 4, v);
  }
  fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
          p->x0 + p->w / 2, p->y0 + p->h + 40, xl);
  fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
          p->x0 - 55, p->y0 + p->h / 2, p->x0 - 55, p->y0 + p->h / 2, yl);
}

/* Colour of condition c by its commanded speed within [min, max] of the family. */
static void glrep_cond_colour_(const glrep_file *f, int c, char col[8]) {
  const double *v;
  glrep_speed_family(f, &v);
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < f->ncond; ++i) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
  glrep_colour_(c < f->ncond && hi > lo ? (v[c] - lo) / (hi - lo) : 0.5, col);
}

static void glrep_curves_svg_(FILE *o, const glrep_file *f, const glrep_panel *p, const glrep_curves *cv, int nseg) {
  for (int c = 0; c < nseg; ++c) {
    if (cv->off[c + 1] <= cv->off[c]) continue; /* no cycles: nothing to draw */
    char col[8];
    glrep_cond_colour_(f, c, col);
    fprintf(o, "<polyline data-condition=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", c, col);
    for (int i = cv->off[c]; i < cv->off[c + 1]; ++i)
      fprintf(o, "%s%.2f,%.2f", i > cv->off[c] ? " " : "", glrep_px_(p, cv->x[i]), glrep_py_(p, cv->y[i]));
    fprintf(o, "\"/>\n");
  }
}

static void glrep_legend_(FILE *o, const glrep_file *f, int nseg, const glrep_curves *cv, double x, double y) {
  static const char *const fam[] = {"u", "v", "r"}, *const unit[] = {"m/s", "m/s", "rad/s"};
  const double *v;
  int k = glrep_speed_family(f, &v);
  fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">commanded %s</text>\n", x, y, fam[k]);
  int nl = nseg < f->ncond ? nseg : f->ncond;
  /* many conditions: squeeze the entries so the legend stays beside its panel */
  double step = nl > 0 && 300.0 / nl < 18 ? 300.0 / nl : 18, font = step < 12 ? step - 1 : 11;
  for (int c = 0; c < nl; ++c) {
    char col[8];
    glrep_cond_colour_(f, c, col);
    double yy = y + step * (c + 1) + 4;
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n", x, yy - font / 3, x + 20, yy - font / 3, col);
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\">%s = %.3g %s%s</text>\n", x + 26, yy, font, fam[k], v[c], unit[k],
            cv->off[c + 1] > cv->off[c] ? "" : " (no cycles)");
  }
}

static gl_err glrep_open_out_(const char *path, FILE **o) {
  *o = fopen(path, "w");
  if (!*o) return gl_error(GL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  return GL_OK;
}

static gl_err glrep_close_out_(const char *path, FILE *o) {
  int bad = ferror(o);
  bad |= fclose(o) != 0;
  return bad ? gl_error(GL_ERR_IO, "cannot write '%s'", path) : GL_OK;
}

gl_err glrep_write_pc_svg(const glrep_file *f, int pop, const char *path) {
  if (pop < 0 || pop >= f->npop) return gl_error(GL_ERR_INTERNAL, "population %d out of range", pop);
  const glrep_pop *p = &f->pop[pop];
  int nseg = p->nseg;
  FILE *o;
  GL_CALL(glrep_open_out_(path, &o));
  glrep_panel pn = {GLREP_ML, GLREP_MT, GLREP_W - GLREP_ML - GLREP_MR, GLREP_PANEL_H - GLREP_MT - GLREP_MB, 0, 1, 0, 1};
  glrep_range_(&p->pc, nseg, &pn, 0);
  fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
          GLREP_W, GLREP_PANEL_H, GLREP_W, GLREP_PANEL_H);
  fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  char title[256];
  snprintf(title, sizeof title, "%s: %s cycle averages, PC1 vs PC2%s", f->stem, p->name, p->spline ? " (periodic spline)" : "");
  glrep_axes_(o, &pn, title, "PC1", "PC2");
  glrep_curves_svg_(o, f, &pn, &p->pc, nseg);
  glrep_legend_(o, f, nseg, &p->pc, pn.x0 + pn.w + 20, pn.y0 + 10);
  fprintf(o, "</svg>\n");
  return glrep_close_out_(path, o);
}

gl_err glrep_write_tangling_svg(const glrep_file *f, const char *path) {
  if (f->npop < 1) return gl_error(GL_ERR_INTERNAL, "no population to plot");
  FILE *o;
  GL_CALL(glrep_open_out_(path, &o));
  int H = GLREP_PANEL_H * f->npop;
  fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
          GLREP_W, H, GLREP_W, H);
  fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  for (int i = 0; i < f->npop; ++i) {
    const glrep_pop *p = &f->pop[i];
    glrep_panel pn = {GLREP_ML, GLREP_MT + (double)i * GLREP_PANEL_H, GLREP_W - GLREP_ML - GLREP_MR,
                      GLREP_PANEL_H - GLREP_MT - GLREP_MB, 0, 1, 0, 1};
    glrep_range_(&p->tq, p->nseg, &pn, 1);
    char title[256];
    snprintf(title, sizeof title, "%s: %s tangling over the gait cycle", f->stem, p->name);
    glrep_axes_(o, &pn, title, "cycle phase (0 = RF lift-off)", "tangling Q");
    glrep_curves_svg_(o, f, &pn, &p->tq, p->nseg);
    glrep_legend_(o, f, p->nseg, &p->tq, pn.x0 + pn.w + 20, pn.y0 + 10);
  }
  fprintf(o, "</svg>\n");
  return glrep_close_out_(path, o);
}
