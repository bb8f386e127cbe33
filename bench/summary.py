#!/usr/bin/env python3
"""One Markdown table of every stage's figure against its bound, from bench/results/*.json.

    python3 bench/summary.py [RESULTS_DIR]

Each row is one measurement as its bench script saved it (same invocation for a figure and
its bound); a missing file leaves its rows out. Standard library only.
"""
import json
import os
import sys


def load(d, name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None


def rows(d):
    out = []
    e = load(d, "env.json")
    if e:
        out.append(("env step (standing robot)", "4 x bare mj_step + PD", 1, "%.2f" % (1 / e["ratio_policy_step_over_decimation_bare"]),
                    "%.1f us per policy step" % e["policy_step_us"]))
    r = load(d, "run.json")
    if r and "walking_bound_agent_steps_per_s_per_rank" in r:
        for np_ in (1, 2):
            k = r["ranks_%d" % np_]
            out.append(("gaitlab run, %d agents, every layer" % r["agents"], "walking physics + inference per rank",
                        np_, "%.2f" % k["ratio_to_walking_bound"],
                        "%.0f agent-steps/s; in-run bound %.3f" % (k["agent_steps_per_s"], k["in_run_bound_ratio"])))
        out.append(("gaitlab run, 2 ranks", "1 rank", 2, "%.2fx" % r["speedup_2_ranks"], ""))
    t = load(d, "train.json")
    if t:
        out.append(("gaitlab train, %d envs" % t["num_envs"], "its rollout physics alone", t["ranks"],
                    "%.2f" % t["fraction_physics"], "%.0f steps/s; update %.0f %% of an iteration" % (t["steps_per_s"], 100 * t["fraction_update"])))
    s = load(d, "train_scaling.json")
    if s:
        for k, v in sorted(s["ranks"].items(), key=lambda kv: int(kv[0])):
            out.append(("train, weak (%d envs/rank)" % s["envs_per_rank_weak"], "independent 1-rank trainings at once", int(k),
                        "%.2f" % v["weak_efficiency_vs_independent"], "%.0f steps/s" % v["weak_steps_per_s"]))
            out.append(("train, strong (%d envs)" % s["num_envs_strong"], "first rank count", int(k),
                        "%.2fx" % v["strong_speedup_vs_first"], "%.0f steps/s" % v["strong_steps_per_s"]))
    p = load(d, "pca.json")
    if p:
        for np_ in (1, 2):
            k = p["ranks_%d" % np_]
            out.append(("z-score + PCA, %d x %d raw" % (p["n"], p["d"]), "DSYRK on the same rows", np_, "%.2f" % k["ratio_to_dsyrk"],
                        "%.3f s; NumPy %.2f s (1 core); 1 vs 2 ranks bitwise %s" % (k["t_total_s"], p["numpy_total_s"], p["bitwise_1_vs_2_ranks"])))
    g = load(d, "tangling.json")
    if g:
        for k in g["runs"]:
            if "screened_seconds_over_sgemm_floor" in k:
                out.append(("tangling N = %d, D = %d (screened)" % (k["n"], k["d"]), "SGEMM floor 2 N^2 D / rate", k["ranks"],
                            "%.2f" % (1 / k["screened_seconds_over_sgemm_floor"]),
                            "exact path %.2f of the DGEMM floor" % (1 / k["exact_seconds_over_dgemm_floor"])))
    x = load(d, "expf.json")
    if x:
        out.append(("tower exponentials (glp_expf_n, %s)" % x["kernel"], "glibc expf, same run", 1, "%.2fx" % x["speedup_vs_libm"],
                    "%.2f ns per element; %d of 2^32 inputs differ from expf" % (x["ns_per_element_glp"], x["inputs_differing"])))
    e2e = load(d, "paper.json")
    if e2e:
        out.append(("paper exp1 + exp2 + exp3_u end to end", "walking physics + inference", e2e["ranks"], "%.2f" % e2e["ratio_to_bound"],
                    "%.0f s for %d agent-steps (target %d s)" % (e2e["total_wall_s"], e2e["agent_steps"], e2e["target_s"])))
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    print("| stage | bound | ranks | ratio | notes |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows(d):
        print("| %s | %s | %s | %s | %s |" % r)


if __name__ == "__main__":
    main()
