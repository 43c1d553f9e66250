# Subjects (the backend interface, cpu-textbook) and the first verdict.
flashcheck_add_test(test_subjects
  SOURCES test_backend.cpp test_cpu_textbook.cpp test_verdict.cpp test_quantized_attention.cpp test_contract.cpp
  LIBS flashcheck_core flashcheck_impls flashcheck_oracle flashcheck_verdict
  LABELS subjects)

# Drift analysis and the contract reference.
flashcheck_add_test(test_drift
  SOURCES test_drift.cpp
  LIBS flashcheck_core flashcheck_impls flashcheck_oracle flashcheck_verdict
  LABELS subjects)
