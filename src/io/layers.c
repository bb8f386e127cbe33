/* The recordable layers: what each /recording/<layer> dataset holds. One table, owned by the
 * recording module, because the file format is what fixes a layer's name, width and units;
 * the experiment schema offers these names and run fills them. */
#include "gaitlab/recording.h"

static const glio_layer_info glio_layers_[GLIO_NLAYERS] = {
    {"obs", 176, "authors' observation scale", "actor input: lin vel x2, ang vel x0.25, gravity, commands x(2,2,0.25), joint pos (rad), joint vel x0.05, 140 heights x5; row t is the observation the activity of row t was computed from"},
    {"mlp", 256, "a.u.", "actor MLP output (after the second ELU)"},
    {"lstm_h", 128, "a.u.", "actor LSTM hidden state h after the step"},
    {"lstm_c", 128, "a.u.", "actor LSTM cell state c after the step"},
    {"gate_fc", 128, "a.u.", "forget-gate term f * c_prev"},
    {"gate_ig", 128, "a.u.", "input-gate term i * g"},
    {"mu", 12, "action units (x0.5 rad around the default pose)", "deterministic action (policy mean), Isaac joint order LF, LH, RF, RH x (HAA, HFE, KFE)"},
    {"torque", 12, "N m", "joint torque applied on the last PD substep, Isaac joint order"},
    {"foot_force", 4, "N", "world-z contact force per foot, order LF, RF, LH, RH"},
    {"base_lin_vel", 3, "m/s", "base linear velocity, body frame (x forward, y left, z up)"},
    {"base_ang_vel", 3, "rad/s", "base angular velocity, body frame"},
    {"command", 3, "m/s, m/s, rad/s", "command (u, v, r) in effect, SI units (observation scale is x(2, 2, 0.25))"},
    {"base_pos", 3, "m", "base position, world frame"},
    {"base_quat", 4, "1", "base orientation quaternion (w, x, y, z)"},
};

const char *const glio_layer_names[] = {"obs", "mlp", "lstm_h", "lstm_c", "gate_fc", "gate_ig",
                                       "mu", "torque", "foot_force", "base_lin_vel",
                                       "base_ang_vel", "command", "base_pos", "base_quat", NULL};

const glio_layer_info *glio_layer_table(void) { return glio_layers_; }
