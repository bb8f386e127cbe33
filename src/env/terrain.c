/* Terrain heights for the scan (sampled directly, never ray-cast: mj_ray in 2.2.2 misses
 * hfield surfaces on grid lines, docs/model.md §11). */
#include <math.h>

#include "env/env_internal.h"

/* Scan grid of the task (docs/task_and_training.md §3): x outer, y inner. */
static const double gle_scan_x[14] = {-0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2,
                                      0.2,  0.3,  0.4,  0.5,  0.6,  0.7,  0.8};
static const double gle_scan_y[10] = {-0.5, -0.4, -0.3, -0.2, -0.1, 0.1, 0.2, 0.3, 0.4, 0.5};

void gle_height_points(const double pos[3], double yaw, double pts[GLE_NHEIGHT][2]) {
  double c = cos(yaw), s = sin(yaw);
  for (int ix = 0; ix < 14; ++ix)
    for (int iy = 0; iy < 10; ++iy) {
      double x = gle_scan_x[ix], y = gle_scan_y[iy];
      pts[ix * 10 + iy][0] = pos[0] + c * x - s * y;
      pts[ix * 10 + iy][1] = pos[1] + s * x + c * y;
    }
}

static int gle_clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

double gle_terrain_height(const gle_env *env, double x, double y) {
  const gle_heightmap *hm = env->hmap;
  if (!hm) return 0.0;
  /* Isaac: i = floor((p + border) / hscale) clipped to [0, n-2]; min of two diagonal
   * samples, which biases toward the lower side of an edge. */
  int i = gle_clampi((int)floor((x + hm->border) / hm->hscale), 0, hm->nx - 2);
  int j = gle_clampi((int)floor((y + hm->border) / hm->hscale), 0, hm->ny - 2);
  double a = hm->h[i * hm->ny + j], b = hm->h[(i + 1) * hm->ny + (j + 1)];
  return a < b ? a : b;
}

gl_err gle_terrain_build(gle_env *env) {
  mjModel *m = env->m;
  const gle_task *t = &env->task;
  int hid = mj_name2id(m, mjOBJ_HFIELD, "terrain");
  if (hid < 0 || m->geom_type[env->terrain_geom] != mjGEOM_HFIELD)
    return gl_error(GL_ERR_INPUT, "model %s: rough terrain needs hfield asset and geom 'terrain'",
                    env->model_path);
  int nrow = m->hfield_nrow[hid], ncol = m->hfield_ncol[hid];
  const double *sz = m->hfield_size + 4 * hid;
  double dx = 2 * sz[0] / (ncol - 1), dy = 2 * sz[1] / (nrow - 1);
  if (fabs(dx - dy) > 1e-9 || sz[0] != sz[1] || (ncol - 1) % 2 || ncol != nrow)
    return gl_error(GL_ERR_INPUT, "model %s: terrain hfield must be square with an even cell count",
                    env->model_path);
  if (!(t->terrain_amp >= 0 && t->terrain_amp <= sz[2]))
    return gl_error(GL_ERR_INPUT, "env: terrain_amp %g out of range [0, %g]", t->terrain_amp, sz[2]);
  const double *gpos = m->geom_pos + 3 * env->terrain_geom;
  if (gpos[0] != 0 || gpos[1] != 0 || gpos[2] != 0)
    return gl_error(GL_ERR_INPUT, "model %s: terrain geom must sit at the origin", env->model_path);

  gle_heightmap *hm = NULL;
  GL_CALL(GL_ALLOC(hm, 1));
  env->hmap = hm;
  hm->nx = ncol;
  hm->ny = nrow;
  hm->hscale = dx;
  hm->border = sz[0];
  GL_CALL(GL_ALLOC(hm->h, (size_t)ncol * nrow));

  /* Coarse grid at 2 cells, levels k * 0.005 m, bilinear to the fine grid, re-quantised:
   * the shape of Isaac's random_uniform_terrain (downsampled scale 0.2, step 0.005). */
  const double vstep = 0.005;
  int nc = (ncol - 1) / 2 + 1, nlev = (int)floor(t->terrain_amp / vstep + 1e-9) + 1;
  double *coarse = NULL;
  GL_CALL(GL_ALLOC(coarse, (size_t)nc * nc));
  glr_stream s;
  glr_init(&s, t->terrain_seed, 0, GLR_TERRAIN);
  for (int k = 0; k < nc * nc; ++k) coarse[k] = vstep * floor(glr_uniform(&s) * nlev);
  for (int ix = 0; ix < ncol; ++ix)
    for (int iy = 0; iy < nrow; ++iy) {
      int cx = ix / 2, cy = iy / 2;
      double fx = 0.5 * (ix % 2), fy = 0.5 * (iy % 2);
      int cx1 = cx + (ix % 2 ? 1 : 0), cy1 = cy + (iy % 2 ? 1 : 0);
      double h = (1 - fx) * (1 - fy) * coarse[cx * nc + cy] + fx * (1 - fy) * coarse[cx1 * nc + cy] +
                 (1 - fx) * fy * coarse[cx * nc + cy1] + fx * fy * coarse[cx1 * nc + cy1];
      h = vstep * round(h / vstep);
      hm->h[ix * nrow + iy] = h;
      /* MuJoCo rows are y, columns x; data in [0, 1] scaled by size[2] */
      m->hfield_data[m->hfield_adr[hid] + iy * ncol + ix] = (float)(h / sz[2]);
    }
  free(coarse);
  /* MuJoCo's surface is the float data times size[2]: use exactly that in the scan */
  for (int ix = 0; ix < ncol; ++ix)
    for (int iy = 0; iy < nrow; ++iy)
      hm->h[ix * nrow + iy] = (double)m->hfield_data[m->hfield_adr[hid] + iy * ncol + ix] * sz[2];
  /* Isaac's spawn origin: the highest point of the central 2 x 2 m */
  double zmax = 0;
  for (int ix = 0; ix < ncol; ++ix)
    for (int iy = 0; iy < nrow; ++iy) {
      double x = ix * dx - sz[0], y = iy * dy - sz[1];
      if (fabs(x) <= 1.0 + 1e-9 && fabs(y) <= 1.0 + 1e-9 && hm->h[ix * nrow + iy] > zmax)
        zmax = hm->h[ix * nrow + iy];
    }
  env->spawn_z = zmax;
  return GL_OK;
}
