# The paper's experiments: every YAML of experiments/paper/ validates, and the claims table
# runs end to end on small real recordings of them.
gaitlab_script_test(NAME paper_validate SCRIPT ${GAITLAB_TEST_DIR}/validate.sh TIMEOUT 60)
gaitlab_script_test(NAME paper_claims_e2e SCRIPT ${GAITLAB_TEST_DIR}/claims_e2e.sh TIMEOUT 300)
