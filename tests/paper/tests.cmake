# The paper's experiments: every YAML of experiments/paper/ validates, and the claims table
# runs end to end on small real recordings of them.
gaitlab_script_test(NAME paper_validate SCRIPT ${GAITLAB_TEST_DIR}/validate.sh TIMEOUT 60)
