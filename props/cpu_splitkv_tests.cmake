# cpu-splitkv / cpu-paged (impls/cpu_splitkv): storage codecs, paged cache, merge,
# properties and mutant kills; then the default check matrix, one test per entry.
flashcheck_add_test(test_cpu_splitkv
  SOURCES test_cpu_splitkv_storage.cpp test_cpu_splitkv_paged.cpp test_cpu_splitkv_kernel.cpp
          test_cpu_splitkv_mutants.cpp
  LIBS flashcheck_subject_cpu_splitkv flashcheck_cli_lib
  LABELS subjects)
flashcheck_add_test(test_cpu_splitkv_matrix
  SOURCES test_cpu_splitkv_matrix.cpp
  LIBS flashcheck_subject_cpu_splitkv flashcheck_cli_lib
  LABELS subjects)
