# Absolute rules that run the subject again, the case variants they and the diagnosis
# probe with, and the diagnosis of every seeded bug's class on its kill case.
set(DIAGNOSIS_TEST_LIBS flashcheck_impls flashcheck_verdict flashcheck_oracle flashcheck_core)
flashcheck_add_test(test_probe_cases SOURCES test_probe_cases.cpp LIBS ${DIAGNOSIS_TEST_LIBS} LABELS verdict)
flashcheck_add_test(test_absolute_rules SOURCES test_absolute_rules.cpp LIBS ${DIAGNOSIS_TEST_LIBS} LABELS verdict)
flashcheck_add_test(test_diagnosis SOURCES test_diagnosis.cpp LIBS ${DIAGNOSIS_TEST_LIBS} LABELS verdict)
