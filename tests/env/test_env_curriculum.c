/* Isaac Gym's terrain curriculum (docs/task_and_training.md §9): tile heights against values worked
 * by hand from Isaac's terrain_utils formulas, the height field MuJoCo collides with and the
 * scan's lookup against the tiles, tile origins and spawn, the level-update rule (hand-worked
 * cases, wrap and saturation, through gle_agent_reset), the shared model's memory, and the
 * checkpoint record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_test_util.h"

#define N GLE_CUR_TILE_PX
#define VS 0.005

static void curriculum_task(gle_task *t) {
  env_test_task(t);
  t->terrain = GLE_TERRAIN_CURRICULUM;
  t->terrain_seed = 3;
  t->curriculum_envs = 40; /* agent i -> column i / 2 */
}

static int32_t tile[N * N];

/* Shared fixture: building the 1200 x 2000 field takes a moment; do it once. */
static gle_env *g_env;
static int setup(void **state) {
  (void)state;
  gle_task t;
  curriculum_task(&t);
  return gle_env_create(&g_env, &t) == GL_OK ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  gle_env_destroy(g_env);
  return 0;
}

/* World (x, y) of tile sample (i, j) of tile (level, col): Isaac's layout, tiles from (0, 0). */
static double wx(int level, int i) { return level * 8.0 + 0.1 * i; }
static double wy(int col, int j) { return col * 8.0 + 0.1 * j; }

static void test_column_kinds_and_assignment(void **state) {
  (void)state;
  int expect[GLE_CUR_COLS] = {0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4};
  for (int c = 0; c < GLE_CUR_COLS; ++c) assert_int_equal(gle_curriculum_column_kind(c), expect[c]);
  /* Isaac: floor(i / (512 / 20)) = floor(i / 25.6) */
  assert_int_equal(gle_curriculum_column(0, 512), 0);
  assert_int_equal(gle_curriculum_column(25, 512), 0);
  assert_int_equal(gle_curriculum_column(26, 512), 1);
  assert_int_equal(gle_curriculum_column(128, 512), 5);
  assert_int_equal(gle_curriculum_column(511, 512), 19);
  assert_int_equal(gle_curriculum_column(7, 20), 7);
  assert_int_equal(gle_curriculum_column(27, 20), 7); /* beyond n: wraps */
  assert_int_equal(gle_curriculum_column(39, 40), 19);
}

static void test_slope_heights(void **state) {
  (void)state;
  /* level 5: slope 0.2, max_height int(0.2 * 20 * 40) = 160 units; h = int(160 xx yy) with
   * xx(i) = (40 - |40 - i|) / 40; platform half-size int(3 / 0.1 / 2) = 15 -> clipped at
   * h(25, 25) = int(160 * 0.625^2) = int(62.5) = 62. */
  gle_curriculum_tile(3, 5, 1, tile);
  assert_int_equal(tile[0 * N + 30], 0);
  assert_int_equal(tile[10 * N + 20], 20);  /* 160 * 0.25 * 0.5 */
  assert_int_equal(tile[20 * N + 30], 60);  /* 160 * 0.5 * 0.75 */
  assert_int_equal(tile[12 * N + 13], 15);  /* 160 * 0.3 * 0.325 = 15.6 -> 15 */
  assert_int_equal(tile[40 * N + 40], 62);
  assert_int_equal(tile[79 * N + 79], 0);   /* 160 * 0.025^2 = 0.1 */
  ASSERT_NEAR(gle_curriculum_tile_origin_z(tile), 0.31, 1e-12);
  /* column 0 is the same pyramid sunk: truncation toward zero, clip to [h(25,25), 0] */
  gle_curriculum_tile(3, 5, 0, tile);
  assert_int_equal(tile[10 * N + 20], -20);
  assert_int_equal(tile[12 * N + 13], -15);
  assert_int_equal(tile[40 * N + 40], -62);
  ASSERT_NEAR(gle_curriculum_tile_origin_z(tile), -0.31, 1e-12);
  /* level 0 is flat */
  gle_curriculum_tile(3, 0, 1, tile);
  for (int k = 0; k < N * N; ++k) assert_int_equal(tile[k], 0);
  /* the env's scan reads the same surface: min(h[i,j], h[i+1,j+1]) in the middle of a cell */
  ASSERT_NEAR(gle_terrain_height(g_env, wx(5, 10) + 0.05, wy(1, 20) + 0.05), 20 * VS, 1e-6);
  ASSERT_NEAR(gle_terrain_height(g_env, wx(5, 40) + 0.05, wy(1, 40) + 0.05), 62 * VS, 1e-6);
  ASSERT_NEAR(gle_terrain_height(g_env, wx(5, 40) + 0.05, wy(0, 40) + 0.05), -62 * VS, 1e-6);
  /* level 9: max_height int(0.36 * 800) = 288, platform int(288 * 0.390625) = 112 */
  gle_curriculum_tile(3, 9, 1, tile);
  assert_int_equal(tile[40 * N + 40], 112);
  assert_int_equal(tile[10 * N + 20], 36); /* 288 * 0.125 */
}

static void test_rough_slope_noise(void **state) {
  (void)state;
  static int32_t pyr[N * N];
  /* level 0: no slope, only Isaac's random_uniform_terrain (+-20 units, step 5, 0.2 m grid
   * interpolated): every sample within +-20, not all zero, mean near 0, and the same tile
   * again for the same seed */
  gle_curriculum_tile(3, 0, 3, tile);
  double sum = 0;
  int nonzero = 0;
  for (int k = 0; k < N * N; ++k) {
    assert_true(tile[k] >= -20 && tile[k] <= 20);
    sum += tile[k];
    nonzero += tile[k] != 0;
  }
  assert_true(nonzero > N * N / 2);
  assert_true(fabs(sum / (N * N)) < 3.0); /* 1600 coarse values of sd 10: mean sd ~0.25 */
  /* the coarse grid points land on samples 0 and 79 exactly (linspace ends): multiples of 5 */
  assert_int_equal(tile[0] % 5, 0);
  assert_int_equal(tile[79 * N + 79] % 5, 0);
  /* level 6 on column 2 (sunk): the pyramid of column 0 plus noise within +-20 */
  gle_curriculum_tile(3, 6, 0, pyr);
  gle_curriculum_tile(3, 6, 2, tile);
  for (int k = 0; k < N * N; ++k) assert_true(abs(tile[k] - pyr[k]) <= 20);
  /* the seed matters */
  gle_curriculum_tile(4, 0, 3, pyr);
  int diff = 0;
  gle_curriculum_tile(3, 0, 3, tile);
  for (int k = 0; k < N * N; ++k) diff += pyr[k] != tile[k];
  assert_true(diff > N * N / 2);
}

static void test_stairs_heights(void **state) {
  (void)state;
  /* level 4: step int((0.05 + 0.175 * 0.4) / 0.005) = 24 units (0.12 m), width int(0.31 /
   * 0.1) = 3 samples, 9 steps until the centre is narrower than 30 samples; the ring
   * [3k, 80 - 3k) has height 24 k */
  gle_curriculum_tile(3, 4, 11, tile);
  assert_int_equal(tile[0 * N + 40], 0);
  assert_int_equal(tile[2 * N + 40], 0);
  assert_int_equal(tile[3 * N + 40], 24);
  assert_int_equal(tile[6 * N + 6], 48);
  assert_int_equal(tile[40 * N + 26], 8 * 24);
  assert_int_equal(tile[40 * N + 27], 9 * 24);
  assert_int_equal(tile[52 * N + 52], 9 * 24);
  assert_int_equal(tile[53 * N + 40], 8 * 24);
  assert_int_equal(tile[77 * N + 40], 0);
  ASSERT_NEAR(gle_curriculum_tile_origin_z(tile), 9 * 0.12, 1e-12);
  /* level 3 down: int(0.1025 / 0.005) = 20 units down per step */
  gle_curriculum_tile(3, 3, 4, tile);
  assert_int_equal(tile[4 * N + 40], -20);
  assert_int_equal(tile[40 * N + 40], -180);
  ASSERT_NEAR(gle_curriculum_tile_origin_z(tile), -0.9, 1e-12);
  ASSERT_NEAR(gle_terrain_height(g_env, wx(3, 40) + 0.05, wy(4, 40) + 0.05), -0.9, 1e-6);
  /* the min rule at an edge: between rings 1 (-20) and 2 (-40) the lower side wins */
  ASSERT_NEAR(gle_terrain_height(g_env, wx(3, 5) + 0.05, wy(4, 40) + 0.05), -0.2, 1e-6);
  /* level 9 up, the highest tile: 41 units, 9 steps = 1.845 m */
  gle_curriculum_tile(3, 9, 15, tile);
  assert_int_equal(tile[40 * N + 40], 369);
}

static void test_obstacles(void **state) {
  (void)state;
  /* level 3: height int(0.07 / 0.005) = 14 units; independent replay of the draws
   * (width, length, start x, start y, height per rectangle) from the documented stream */
  gle_curriculum_tile(3, 3, 17, tile);
  static int32_t ref[N * N];
  memset(ref, 0, sizeof ref);
  glr_stream s;
  glr_init(&s, 3, 3 * 20 + 17, GLR_TERRAIN);
  const int sizes[3] = {10, 14, 18}, hts[4] = {-14, -7, 7, 14};
  int tall = 0;
  for (int r = 0; r < 40; ++r) {
    int w = sizes[(int)(glr_uniform(&s) * 3)], l = sizes[(int)(glr_uniform(&s) * 3)];
    int si = 4 * (int)(glr_uniform(&s) * ((80 - w + 3) / 4));
    int sj = 4 * (int)(glr_uniform(&s) * ((80 - l + 3) / 4));
    int h = hts[(int)(glr_uniform(&s) * 4)];
    assert_true(si + w <= 80 && sj + l <= 80);
    tall += abs(h) == 14;
    for (int i = si; i < si + w; ++i)
      for (int j = sj; j < sj + l; ++j) ref[i * N + j] = h;
  }
  for (int i = 25; i < 55; ++i)
    for (int j = 25; j < 55; ++j) ref[i * N + j] = 0;
  assert_memory_equal(tile, ref, sizeof ref);
  int counts[29] = {0};
  for (int k = 0; k < N * N; ++k) {
    assert_true(tile[k] == 0 || abs(tile[k]) == 14 || abs(tile[k]) == 7);
    counts[tile[k] + 14]++;
  }
  /* 40 rectangles of >= 1 m^2 cover a good part of the 8 x 8 m tile; every height occurs */
  assert_true(N * N - counts[14] > N * N / 4);
  assert_true(counts[0] > 0 && counts[7] > 0 && counts[21] > 0 && counts[28] > 0);
  assert_true(tall > 5 && tall < 35);
  for (int i = 25; i < 55; ++i) assert_int_equal(tile[i * N + 40], 0);
  ASSERT_NEAR(gle_curriculum_tile_origin_z(tile), 0.0, 0);
  /* level 0 obstacles are 5 units (2.5 cm) at most */
  gle_curriculum_tile(3, 0, 19, tile);
  for (int k = 0; k < N * N; ++k) assert_true(abs(tile[k]) <= 5);
}

static void test_hfield_matches_tiles(void **state) {
  (void)state;
  const mjModel *m = gle_env_mjmodel(g_env);
  int hid = mj_name2id(m, mjOBJ_HFIELD, "terrain");
  int gid = mj_name2id(m, mjOBJ_GEOM, "terrain");
  int nx = m->hfield_ncol[hid];
  assert_int_equal(nx, 1200);
  assert_int_equal(m->hfield_nrow[hid], 2000);
  const float *data = m->hfield_data + m->hfield_adr[hid];
  double zb = m->geom_pos[3 * gid + 2], sz = m->hfield_size[4 * hid + 2];
  /* every sample of a few tiles, and the border */
  const int tiles[4][2] = {{5, 1}, {3, 4}, {9, 15}, {3, 17}};
  for (int t = 0; t < 4; ++t) {
    gle_curriculum_tile(3, tiles[t][0], tiles[t][1], tile);
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < N; ++j) {
        int ix = 200 + tiles[t][0] * N + i, iy = 200 + tiles[t][1] * N + j;
        ASSERT_NEAR(zb + data[iy * nx + ix] * sz, tile[i * N + j] * VS, 1e-6);
      }
  }
  ASSERT_NEAR(zb + data[0] * sz, 0.0, 1e-6);
  ASSERT_NEAR(gle_terrain_height(g_env, -10.03, 150.02), 0.0, 1e-6);
  /* MuJoCo's surface: a vertical ray at a generic offset onto the level-4 stairs-up centre
   * and onto the sunk slope platform hits the tile's height */
  mjData *d = mj_makeData(m);
  mj_forward(m, d);
  mjtByte grp[6] = {1, 0, 0, 0, 0, 0};
  const double pts[2][3] = {{4 * 8 + 4.0137, 11 * 8 + 4.0213, 9 * 0.12},
                            {5 * 8 + 3.9871, 0 * 8 + 4.0119, -0.31}};
  for (int k = 0; k < 2; ++k) {
    double pnt[3] = {pts[k][0], pts[k][1], 3.0}, vec[3] = {0, 0, -1};
    int geom = -1;
    double dist = mj_ray(m, d, pnt, vec, grp, 1, -1, &geom);
    assert_int_equal(geom, gid);
    ASSERT_NEAR(3.0 - dist, pts[k][2], 1e-5);
  }
  mj_deleteData(d);
}

static void test_origins_and_spawn(void **state) {
  (void)state;
  gle_agent *a, *b;
  ENV_OK(gle_agent_create(&a, g_env, 1, 22)); /* column 11 (stairs up) */
  ENV_OK(gle_agent_create(&b, g_env, 1, 1));  /* column 0 (sunk slope) */
  assert_int_equal(gle_agent_terrain_column(a), 11);
  assert_int_equal(gle_agent_terrain_column(b), 0);
  assert_int_equal(gle_agent_terrain_level(a), 0);
  double o[3];
  gle_agent_terrain_origin(a, o);
  ASSERT_NEAR(o[0], 4.0, 0);
  ASSERT_NEAR(o[1], 11.5 * 8, 0);
  ASSERT_NEAR(o[2], 9 * 10 * VS, 1e-12); /* level 0 stairs: 10 units x 9 steps */
  ENV_OK(gle_agent_set_terrain_level(a, 4));
  ENV_OK(gle_agent_set_terrain_level(b, 5));
  assert_int_not_equal(gle_agent_set_terrain_level(b, 10), GL_OK);
  ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
  ENV_OK(gle_agent_reset(b, (double[3]){0, 0, 0}));
  const mjData *da = gle_agent_mjdata(a), *db = gle_agent_mjdata(b);
  /* spawn_xy = 0: exactly 0.62 m above the origin */
  ASSERT_NEAR(da->qpos[0], 4.5 * 8, 0);
  ASSERT_NEAR(da->qpos[1], 11.5 * 8, 0);
  ASSERT_NEAR(da->qpos[2], 0.62 + 9 * 0.12, 1e-12);
  ASSERT_NEAR(db->qpos[0], 5.5 * 8, 0);
  ASSERT_NEAR(db->qpos[1], 0.5 * 8, 0);
  ASSERT_NEAR(db->qpos[2], 0.62 - 0.31, 1e-12);
  /* it stands there: 1 s of zero action, no fall, base ~0.5 m above the platform */
  float act[GLE_NJ] = {0};
  gle_step_info info;
  for (int k = 0; k < 50; ++k) {
    ENV_OK(gle_agent_step(a, act, &info));
    assert_int_equal(info.terminated, 0);
    ENV_OK(gle_agent_step(b, act, &info));
    assert_int_equal(info.terminated, 0);
  }
  ASSERT_NEAR(da->qpos[2] - 9 * 0.12, 0.5, 0.08);
  ASSERT_NEAR(db->qpos[2] + 0.31, 0.5, 0.08);
  /* the scan sees the platform: base height above the scanned terrain */
  float obs[GLE_OBS_FULL];
  ENV_OK(gle_agent_observe(a, obs));
  ASSERT_NEAR(obs[36], fmax(-1, fmin(1, da->qpos[2] - 0.5 - 9 * 0.12)) * 5, 1e-5);
  /* memory: the agents share the env's model (one height field per env, not per agent) */
  const mjModel *m = gle_env_mjmodel(g_env);
  assert_ptr_equal(gle_agent_mjmodel(a), m);
  assert_ptr_equal(gle_agent_mjmodel(b), m);
  print_message("curriculum: model %.1f MB (shared per env; was copied per agent), mjData "
                "%.2f MB per agent\n", m->nbuffer / 1e6, (da->nbuffer + 8.0 * da->nstack) / 1e6);
  gle_agent_destroy(a);
  gle_agent_destroy(b);
}

static void test_level_rule(void **state) {
  (void)state;
  /* (level, D, |cmd|, T, tile) -> level, thresholds |cmd| T / 4 and tile / 2 = 4 m */
  assert_int_equal(gle_curriculum_next_level(3, 1.0, 1.0, 20, 8, 10, 1), 2);  /* 1 < 5 */
  assert_int_equal(gle_curriculum_next_level(3, 4.5, 0.5, 20, 8, 10, 1), 4);  /* > 4, > 2.5 */
  assert_int_equal(gle_curriculum_next_level(3, 4.5, 1.0, 20, 8, 10, 1), 3);  /* both */
  assert_int_equal(gle_curriculum_next_level(3, 3.0, 0.5, 20, 8, 10, 1), 3);  /* neither */
  assert_int_equal(gle_curriculum_next_level(3, 4.0, 0.1, 20, 8, 10, 1), 3);  /* 4 is not > 4 */
  assert_int_equal(gle_curriculum_next_level(0, 0.0, 0.5, 20, 8, 10, 1), 0);  /* clip at 0 */
  assert_int_equal(gle_curriculum_next_level(0, 0.0, 0.0, 20, 8, 10, 1), 0);  /* 0 < 0 false */
  assert_int_equal(gle_curriculum_next_level(9, 5.0, 0.2, 20, 8, 10, 1), 0);  /* wraps (Q7) */
  assert_int_equal(gle_curriculum_next_level(9, 5.0, 0.2, 20, 8, 10, 0), 9);  /* saturates */
  assert_int_equal(gle_curriculum_next_level(8, 5.0, 0.2, 20, 8, 10, 0), 9);
  assert_int_equal(gle_curriculum_next_level(5, 1.0, 1.0, 2, 8, 10, 1), 5);   /* T = 2 s: 1 > 0.5 */
  assert_int_equal(gle_curriculum_next_level(5, NAN, 1.0, 20, 8, 10, 1), 5);
}

/* The rule inside gle_agent_reset: the finished episode's command and the configured
 * episode length, the base's distance from the origin, no update before the first step. */
static void test_level_update_on_reset(void **state) {
  (void)state;
  for (int wrap = 0; wrap <= 1; ++wrap) {
    gle_task t;
    curriculum_task(&t);
    t.curriculum_wrap = wrap;
    t.episode_steps = 100; /* T = 2 s */
    gle_env *e;
    ENV_OK(gle_env_create(&e, &t));
    gle_agent *a;
    ENV_OK(gle_agent_create(&a, e, 1, 33)); /* column 16 */
    mjData *d = gle_agent_mjdata(a);
    ENV_OK(gle_agent_set_terrain_level(a, 9));
    /* a reset before any step never moves the level, whatever the position */
    d->qpos[0] += 6.0;
    ENV_OK(gle_agent_reset(a, (double[3]){1.0, 0, 0}));
    assert_int_equal(gle_agent_terrain_level(a), 9);
    float act[GLE_NJ] = {0};
    gle_step_info info;
    ENV_OK(gle_agent_step(a, act, &info));
    double o[3];
    gle_agent_terrain_origin(a, o);
    /* walked 4.2 m: up (9 -> 0 with wrap, 9 without) */
    d->qpos[0] = o[0] + 3.0, d->qpos[1] = o[1] - 3.0;
    ENV_OK(gle_agent_reset(a, (double[3]){0.2, 0, 0}));
    assert_int_equal(gle_agent_terrain_level(a), wrap ? 0 : 9);
    gle_agent_terrain_origin(a, o);
    ASSERT_NEAR(o[0], (wrap ? 0.5 : 9.5) * 8, 0);
    ASSERT_NEAR(o[1], 16.5 * 8, 0);
    ASSERT_NEAR(d->qpos[0], o[0], 0); /* respawned at the new origin */
    /* |cmd| = 1.2 (the finished episode's command 0.2 was replaced by this reset's) with
     * T = 2 s: threshold 0.6 m; walked 0.5 m -> down (clipped at 0 / 9 -> 8) */
    ENV_OK(gle_agent_reset(a, (double[3]){1.2, 0, 0}));
    ENV_OK(gle_agent_step(a, act, &info));
    d->qpos[0] = o[0] + 0.5, d->qpos[1] = o[1];
    ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
    assert_int_equal(gle_agent_terrain_level(a), wrap ? 0 : 8);
    /* walked 0.7 m > 0.6 m with the same command: stays */
    ENV_OK(gle_agent_reset(a, (double[3]){0, 1.2, 0}));
    ENV_OK(gle_agent_step(a, act, &info));
    gle_agent_terrain_origin(a, o);
    d->qpos[0] = o[0], d->qpos[1] = o[1] + 0.7;
    ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
    assert_int_equal(gle_agent_terrain_level(a), wrap ? 0 : 8);
    gle_agent_destroy(a);
    gle_env_destroy(e);
  }
}

/* The checkpoint record: plane record + the level; a round trip restores level and state
 * and the continuation is bitwise the same. */
static void test_state_round_trip(void **state) {
  (void)state;
  gle_task tp;
  env_test_task(&tp);
  gle_env *ep;
  gle_agent *ap, *a;
  ENV_OK(gle_env_create(&ep, &tp));
  ENV_OK(gle_agent_create(&ap, ep, 1, 5));
  ENV_OK(gle_agent_create(&a, g_env, 1, 5));
  assert_int_equal(gle_agent_state_size(a), gle_agent_state_size(ap) + sizeof(int64_t));
  ENV_OK(gle_agent_set_terrain_level(a, 6));
  ENV_OK(gle_agent_reset(a, (double[3]){0.5, 0, 0}));
  float act[GLE_NJ];
  gle_step_info info;
  for (int j = 0; j < GLE_NJ; ++j) act[j] = 0.1f * (float)(j % 3) - 0.1f;
  for (int k = 0; k < 5; ++k) ENV_OK(gle_agent_step(a, act, &info));
  size_t n = gle_agent_state_size(a);
  unsigned char *buf = malloc(n), *buf2 = malloc(n);
  ENV_OK(gle_agent_state_save(a, buf));
  int64_t lv;
  memcpy(&lv, buf + n - sizeof lv, sizeof lv);
  assert_int_equal(lv, 6);
  mjData *d = gle_agent_mjdata(a);
  double q1[19];
  for (int k = 0; k < 5; ++k) ENV_OK(gle_agent_step(a, act, &info));
  d->qpos[0] += 0.2; /* walked too little for |cmd| 0.5 -> level 5 */
  ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
  assert_int_equal(gle_agent_terrain_level(a), 5);
  for (int k = 0; k < 3; ++k) ENV_OK(gle_agent_step(a, act, &info));
  memcpy(q1, d->qpos, sizeof q1);
  /* back to the saved state: the same continuation, bit for bit */
  ENV_OK(gle_agent_state_load(a, buf));
  assert_int_equal(gle_agent_terrain_level(a), 6);
  ENV_OK(gle_agent_state_save(a, buf2));
  assert_memory_equal(buf, buf2, n);
  for (int k = 0; k < 5; ++k) ENV_OK(gle_agent_step(a, act, &info));
  d->qpos[0] += 0.2;
  ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
  assert_int_equal(gle_agent_terrain_level(a), 5);
  for (int k = 0; k < 3; ++k) ENV_OK(gle_agent_step(a, act, &info));
  assert_memory_equal(q1, d->qpos, sizeof q1);
  /* a corrupt level is refused */
  lv = 12;
  memcpy(buf + n - sizeof lv, &lv, sizeof lv);
  assert_int_not_equal(gle_agent_state_load(a, buf), GL_OK);
  free(buf);
  free(buf2);
  gle_agent_destroy(a);
  gle_agent_destroy(ap);
  gle_env_destroy(ep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_column_kinds_and_assignment),
      cmocka_unit_test(test_slope_heights),
      cmocka_unit_test(test_rough_slope_noise),
      cmocka_unit_test(test_stairs_heights),
      cmocka_unit_test(test_obstacles),
      cmocka_unit_test(test_hfield_matches_tiles),
      cmocka_unit_test(test_origins_and_spawn),
      cmocka_unit_test(test_level_rule),
      cmocka_unit_test(test_level_update_on_reset),
      cmocka_unit_test(test_state_round_trip),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
