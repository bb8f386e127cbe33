/* Isaac Gym's terrain curriculum (docs/task_and_training.md §9; IsaacGymEnvs anymal_terrain.py
 * Terrain.curiculum and isaacgym/terrain_utils.py): 10 levels x 20 columns of 8 x 8 m tiles
 * on a 0.1 m grid with heights in 0.005 m units. Every integer conversion below copies the
 * Python expression it stands for (e.g. int(0.31 / 0.1) is 3, int(0.07 / 0.005) is 14 but
 * int(0.1025 / 0.005) is 20), so tile shapes and origins match Isaac's sample for sample.
 * The random parts come from the Philox stream (terrain_seed, tile index, GLR_TERRAIN), so
 * every rank builds the same terrain without communication. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_internal.h"

#define GLE_HS 0.1   /* horizontal scale, m */
#define GLE_VS 0.005 /* vertical scale, m */
#define GLE_N GLE_CUR_TILE_PX

/* pyramid_sloped_terrain(terrain, slope, platform_size = 3) */
static void gle_pyramid_slope(int32_t *raw, double slope) {
  const int cx = GLE_N / 2;
  double xx[GLE_N];
  for (int i = 0; i < GLE_N; ++i) xx[i] = (double)(cx - abs(cx - i)) / cx;
  int maxh = (int)(slope * (GLE_HS / GLE_VS) * (GLE_N / 2.0));
  for (int i = 0; i < GLE_N; ++i)
    for (int j = 0; j < GLE_N; ++j) raw[i * GLE_N + j] += (int32_t)((double)maxh * xx[i] * xx[j]);
  int pf = (int)(3.0 / GLE_HS / 2);
  int x1 = GLE_N / 2 - pf;
  int32_t ref = raw[x1 * GLE_N + x1];
  int32_t lo = ref < 0 ? ref : 0, hi = ref > 0 ? ref : 0;
  for (int k = 0; k < GLE_N * GLE_N; ++k) raw[k] = raw[k] < lo ? lo : raw[k] > hi ? hi : raw[k];
}

/* random_uniform_terrain(terrain, -0.1, 0.1, step = 0.025, downsampled_scale = 0.2): heights
 * drawn from {-20, -15, ..., 20} units on a 40 x 40 grid spread over [0, 8] m (numpy
 * linspace), bilinear onto the 80 x 80 samples (linspace too; scipy interp2d 'linear'),
 * rounded half to even (np.rint). */
static void gle_random_uniform(int32_t *raw, glr_stream *s) {
  const int lo = (int)(-0.1 / GLE_VS), hi = (int)(0.1 / GLE_VS), step = (int)(0.025 / GLE_VS);
  const int nlev = (hi - lo) / step + 1;
  const int nc = (int)(GLE_N * GLE_HS / 0.2); /* 40 */
  const double len = GLE_N * GLE_HS;          /* 8 m */
  double coarse[64 * 64];
  for (int k = 0; k < nc * nc; ++k) coarse[k] = lo + step * (int)floor(glr_uniform(s) * nlev);
  const double dc = len / (nc - 1), df = len / (GLE_N - 1);
  int c0[GLE_N];
  double w[GLE_N];
  for (int i = 0; i < GLE_N; ++i) {
    double x = i == GLE_N - 1 ? len : i * df;
    int k = (int)floor(x / dc);
    if (k > nc - 2) k = nc - 2;
    c0[i] = k;
    w[i] = (x - k * dc) / dc;
  }
  for (int i = 0; i < GLE_N; ++i)
    for (int j = 0; j < GLE_N; ++j) {
      int a = c0[i], b = c0[j];
      double fx = w[i], fy = w[j];
      double z = (1 - fx) * (1 - fy) * coarse[a * nc + b] + fx * (1 - fy) * coarse[(a + 1) * nc + b] +
                 (1 - fx) * fy * coarse[a * nc + b + 1] + fx * fy * coarse[(a + 1) * nc + b + 1];
      raw[i * GLE_N + j] += (int32_t)rint(z);
    }
}

/* pyramid_stairs_terrain(terrain, step_width = 0.31, step_height, platform_size = 3) */
static void gle_pyramid_stairs(int32_t *raw, double step_height) {
  int sw = (int)(0.31 / GLE_HS), sh = (int)(step_height / GLE_VS), pf = (int)(3.0 / GLE_HS);
  int h = 0, start = 0, stop = GLE_N;
  while (stop - start > pf) {
    start += sw;
    stop -= sw;
    h += sh;
    for (int i = start; i < stop; ++i)
      for (int j = start; j < stop; ++j) raw[i * GLE_N + j] = h;
  }
}

static int gle_floordiv2(int v) { return (int)floor(v / 2.0); } /* Python's v // 2 */

static int gle_choice(glr_stream *s, int n) {
  int k = (int)floor(glr_uniform(s) * n);
  return k < n ? k : n - 1;
}

/* discrete_obstacles_terrain(terrain, max_height, 1, 2, 40, platform_size = 3): 40 rectangles
 * of side {1.0, 1.4, 1.8} m at 0.4 m-aligned corners, heights {-h, -h//2, h//2, h} (Python
 * floor division), later ones overwriting earlier ones, then the central 3 m square zeroed. Draw order per rectangle: width, length, start x, start y, height. */
static void gle_discrete_obstacles(int32_t *raw, double max_height, glr_stream *s) {
  int mh = (int)(max_height / GLE_VS);
  int mins = (int)(1.0 / GLE_HS), maxs = (int)(2.0 / GLE_HS), pf = (int)(3.0 / GLE_HS);
  int hr[4] = {-mh, gle_floordiv2(-mh), gle_floordiv2(mh), mh};
  int nsz = (maxs - mins + 3) / 4; /* range(min, max, 4) */
  for (int r = 0; r < GLE_CUR_OBSTACLES; ++r) {
    int wd = mins + 4 * gle_choice(s, nsz), ln = mins + 4 * gle_choice(s, nsz);
    int si = 4 * gle_choice(s, (GLE_N - wd + 3) / 4), sj = 4 * gle_choice(s, (GLE_N - ln + 3) / 4);
    int h = hr[gle_choice(s, 4)];
    for (int i = si; i < si + wd; ++i)
      for (int j = sj; j < sj + ln; ++j) raw[i * GLE_N + j] = h;
  }
  int x1 = (GLE_N - pf) / 2, x2 = (GLE_N + pf) / 2;
  for (int i = x1; i < x2; ++i)
    for (int j = x1; j < x2; ++j) raw[i * GLE_N + j] = 0;
}

gle_curriculum_kind gle_curriculum_column_kind(int col) {
  /* Isaac: choice = j / 20 against the cumulative proportions [0.1, 0.2, 0.55, 0.8, 1.0] */
  double choice = (double)col / GLE_CUR_COLS;
  if (choice < 0.1) return GLE_CUR_SLOPE;
  if (choice < 0.1 + 0.1) return GLE_CUR_ROUGH_SLOPE;
  if (choice < 0.1 + 0.1 + 0.35) return GLE_CUR_STAIRS_DOWN;
  if (choice < 0.1 + 0.1 + 0.35 + 0.25) return GLE_CUR_STAIRS_UP;
  return GLE_CUR_OBSTACLES_KIND;
}

void gle_curriculum_tile(uint64_t terrain_seed, int level, int col, int32_t *raw) {
  memset(raw, 0, sizeof(int32_t) * GLE_N * GLE_N);
  double difficulty = (double)level / GLE_CUR_LEVELS, choice = (double)col / GLE_CUR_COLS;
  double slope = difficulty * 0.4;
  double step_height = 0.05 + 0.175 * difficulty;
  double obstacle_height = 0.025 + difficulty * 0.15;
  glr_stream s;
  glr_init(&s, terrain_seed, (uint64_t)(level * GLE_CUR_COLS + col), GLR_TERRAIN);
  switch (gle_curriculum_column_kind(col)) {
    case GLE_CUR_SLOPE:
      if (choice < 0.05) slope *= -1;
      gle_pyramid_slope(raw, slope);
      break;
    case GLE_CUR_ROUGH_SLOPE:
      if (choice < 0.15) slope *= -1;
      gle_pyramid_slope(raw, slope);
      gle_random_uniform(raw, &s);
      break;
    case GLE_CUR_STAIRS_DOWN: gle_pyramid_stairs(raw, -step_height); break;
    case GLE_CUR_STAIRS_UP: gle_pyramid_stairs(raw, step_height); break;
    case GLE_CUR_OBSTACLES_KIND: gle_discrete_obstacles(raw, obstacle_height, &s); break;
  }
}

double gle_curriculum_tile_origin_z(const int32_t *raw) {
  /* Isaac: max over raw[x1:x2, y1:y2] with x1 = int((8/2 - 1)/0.1) = 30, x2 = 50 */
  const double half = GLE_CUR_TILE / 2.0;
  int x1 = (int)((half - 1) / GLE_HS), x2 = (int)((half + 1) / GLE_HS);
  int32_t zmax = raw[x1 * GLE_N + x1];
  for (int i = x1; i < x2; ++i)
    for (int j = x1; j < x2; ++j)
      if (raw[i * GLE_N + j] > zmax) zmax = raw[i * GLE_N + j];
  return zmax * GLE_VS;
}

gl_err gle_terrain_build_curriculum(gle_env *env) {
  mjModel *m = env->m;
  int hid = mj_name2id(m, mjOBJ_HFIELD, "terrain");
  if (hid < 0 || m->geom_type[env->terrain_geom] != mjGEOM_HFIELD)
    return gl_error(GL_ERR_INPUT, "model %s: curriculum terrain needs hfield asset and geom "
                    "'terrain'", env->model_path);
  const int nx = m->hfield_ncol[hid], ny = m->hfield_nrow[hid];
  const int bpx = (nx - GLE_CUR_LEVELS * GLE_N) / 2;
  const double *sz = m->hfield_size + 4 * hid, *gpos = m->geom_pos + 3 * env->terrain_geom;
  const double border = bpx * GLE_HS;
  /* The layout must be Isaac's: x = 0.1 ix - border, y = 0.1 iy - border. */
  if (bpx < 1 || nx != GLE_CUR_LEVELS * GLE_N + 2 * bpx || ny != GLE_CUR_COLS * GLE_N + 2 * bpx ||
      fabs(2 * sz[0] - (nx - 1) * GLE_HS) > 1e-9 || fabs(2 * sz[1] - (ny - 1) * GLE_HS) > 1e-9 ||
      fabs(gpos[0] - (sz[0] - border)) > 1e-9 || fabs(gpos[1] - (sz[1] - border)) > 1e-9)
    return gl_error(GL_ERR_INPUT,
                    "model %s: curriculum hfield must have ncol = 800 + 2b, nrow = 1600 + 2b "
                    "samples 0.1 m apart and its geom at (0.1 (ncol - 1) / 2 - 0.1 b, "
                    "0.1 (nrow - 1) / 2 - 0.1 b)", env->model_path);
  const double zbase = gpos[2], ztop = gpos[2] + sz[2];

  gle_heightmap *hm = NULL;
  GL_CALL(GL_ALLOC(hm, 1));
  env->hmap = hm;
  hm->nx = nx;
  hm->ny = ny;
  hm->hscale = GLE_HS;
  hm->border = border;
  GL_CALL(GL_ALLOC(hm->h, (size_t)nx * ny));
  int32_t *tile = NULL;
  GL_CALL(GL_ALLOC(tile, GLE_N * GLE_N));
  /* Border and every tile start at height 0 (Isaac's int16 zeros). */
  float *data = m->hfield_data + m->hfield_adr[hid];
  float zero = (float)((0.0 - zbase) / sz[2]);
  for (size_t k = 0; k < (size_t)nx * ny; ++k) data[k] = zero;
  gl_err err = GL_OK;
  for (int lev = 0; lev < GLE_CUR_LEVELS && !err; ++lev)
    for (int col = 0; col < GLE_CUR_COLS && !err; ++col) {
      gle_curriculum_tile(env->task.terrain_seed, lev, col, tile);
      for (int i = 0; i < GLE_N && !err; ++i)
        for (int j = 0; j < GLE_N; ++j) {
          double h = tile[i * GLE_N + j] * GLE_VS;
          if (!(h >= zbase && h <= ztop)) {
            err = gl_error(GL_ERR_INPUT, "model %s: terrain height %g m outside the hfield's "
                           "range [%g, %g]", env->model_path, h, zbase, ztop);
            break;
          }
          int ix = bpx + lev * GLE_N + i, iy = bpx + col * GLE_N + j;
          /* MuJoCo rows are y, columns x (docs/model.md §11: transpose Isaac's [x][y]) */
          data[(size_t)iy * nx + ix] = (float)((h - zbase) / sz[2]);
        }
      double *o = env->origin[lev][col];
      o[0] = (lev + 0.5) * GLE_CUR_TILE;
      o[1] = (col + 0.5) * GLE_CUR_TILE;
      o[2] = gle_curriculum_tile_origin_z(tile);
    }
  free(tile);
  if (err) return err;
  /* The scan reads the surface MuJoCo collides with: the float data times size[2], lifted by
   * the geom's z. */
  for (int ix = 0; ix < nx; ++ix)
    for (int iy = 0; iy < ny; ++iy) hm->h[(size_t)ix * ny + iy] = zbase + (double)data[(size_t)iy * nx + ix] * sz[2];
  /* anymal_c.xml's plane would cut through the sunken tiles: move it under the hfield, where
   * it only catches a robot that walked off the border. */
  int floor_geom = mj_name2id(m, mjOBJ_GEOM, "floor");
  if (floor_geom >= 0) {
    m->geom_pos[3 * floor_geom + 2] = zbase;
    /* the compiler marked it as sitting in its body's frame (pos 0): kinematics would
     * ignore the new position */
    m->geom_sameframe[floor_geom] = 0;
  }
  env->spawn_z = env->origin[0][0][2];
  return GL_OK;
}
