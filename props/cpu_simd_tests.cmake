# The vectorised CPU subjects (impls/cpu_simd): the default matrix against the verdict
# per ISA, the kernels' own expf / tanhf accuracy, the max-lane0 mutant, and the
# kernel behaviours the matrix does not reach (tails, strided rows, the runner protocol).
if(TARGET flashcheck_subject_cpu_simd)
  flashcheck_add_test(test_cpu_simd
    SOURCES test_cpu_simd_matrix.cpp test_cpu_simd_mutants.cpp test_cpu_simd_math.cpp test_cpu_simd_kernels.cpp
    LIBS flashcheck_subject_cpu_simd flashcheck_cli_lib
    LABELS subjects)
endif()
