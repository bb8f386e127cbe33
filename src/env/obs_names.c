/* The observation as the policy sees it: names and layout of its inputs, handed to the policy
 * module as a glp_inputs description (policy.h), which writes them into every policy file.
 * They live here because the environment is what defines the observation. */
#include <stdio.h>

#include "gaitlab/env.h"

static void gle_obs_name_(int j, char *buf, size_t len) {
  static const char *xyz = "xyz", *cmd[3] = {"u", "v", "r"};
  static const char *legs[4] = {"LF", "LH", "RF", "RH"}, *jn[3] = {"HAA", "HFE", "KFE"};
  if (j < 3) snprintf(buf, len, "base_lin_vel_%c", xyz[j]);
  else if (j < 6) snprintf(buf, len, "base_ang_vel_%c", xyz[j - 3]);
  else if (j < 9) snprintf(buf, len, "projected_gravity_%c", xyz[j - 6]);
  else if (j < 12) snprintf(buf, len, "command_%s", cmd[j - 9]);
  else if (j < 24) snprintf(buf, len, "joint_pos_%s_%s", legs[(j - 12) / 3], jn[(j - 12) % 3]);
  else if (j < 36) snprintf(buf, len, "joint_vel_%s_%s", legs[(j - 24) / 3], jn[(j - 24) % 3]);
  else if (j < 176) {
    int k = j - 36, ix = k / 10, iy = k % 10;
    int xv = ix < 7 ? ix - 8 : ix - 5; /* -8..-2, 2..8 (x 0.1 m) */
    int yv = iy < 5 ? iy - 5 : iy - 4; /* -5..-1, 1..5 */
    snprintf(buf, len, "height_x%+.1f_y%+.1f", 0.1 * xv, 0.1 * yv);
  } else snprintf(buf, len, "prev_action_%s_%s", legs[(j - 176) / 3], jn[(j - 176) % 3]);
}

static const char gle_obs_layout_[] =
    "188 inputs, body frame, authors' order and scales: "
    "[0:3] base_lin_vel x,y,z (x2.0); [3:6] base_ang_vel x,y,z (x0.25); "
    "[6:9] projected_gravity x,y,z; [9:12] command u,v (x2), r (x0.25); "
    "[12:24] joint_pos absolute, LF,LH,RF,RH x HAA,HFE,KFE; [24:36] joint_vel (x0.05) same order; "
    "[36:176] height samples clip(z_base-0.5-h,-1,1)x5, x outer in 0.1*{-8..-2,2..8}, "
    "y inner in 0.1*{-5..-1,1..5}; [176:188] previous action (raw policy output). "
    "The actor reads the first actor_in columns, the critic the first critic_in; "
    "inputs are normalised by normalizer/mean, var: clamp((x-mean)/sqrt(var+1e-5),-5,5).";

const glp_inputs *gle_policy_inputs(void) {
  static const glp_inputs in = {GLE_OBS, GLE_OBS_FULL, gle_obs_name_, gle_obs_layout_};
  return &in;
}
