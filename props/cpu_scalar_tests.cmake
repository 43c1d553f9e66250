# cpu-scalar subjects (impls/cpu_scalar): kernels, flag builds, write path and mutants.
set(CPU_SCALAR_TEST_LIBS flashcheck_subject_cpu_scalar flashcheck_cli_lib flashcheck_core flashcheck_oracle
  flashcheck_verdict)

flashcheck_add_test(test_cpu_scalar
  SOURCES test_cpu_scalar_kernels.cpp test_cpu_scalar_quantized.cpp test_cpu_scalar_mutants.cpp
  LIBS ${CPU_SCALAR_TEST_LIBS}
  LABELS subjects)

flashcheck_add_test(test_cpu_scalar_matrix
  SOURCES test_cpu_scalar_matrix.cpp
  LIBS ${CPU_SCALAR_TEST_LIBS}
  LABELS subjects)
