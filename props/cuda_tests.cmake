# CUDA subjects (impls/cuda). test_cuda_host needs no device and runs everywhere:
# registration, unavailability, the host-side case translation and split plans.
# The device suites carry the label gpu (left out of the default ctest preset) and skip
# each device test where no usable device is, so they also pass on machines without one.
flashcheck_add_test(test_cuda_host
  SOURCES test_cuda_host.cpp
  LIBS flashcheck_subject_cuda flashcheck_core
  LABELS subjects)
flashcheck_add_test(test_cuda_kernels
  SOURCES test_cuda_kernels.cpp test_cuda_mutants.cpp
  LIBS flashcheck_subject_cuda flashcheck_cli_lib
  LABELS gpu
  TIMEOUT 900)
flashcheck_add_test(test_cuda_matrix
  SOURCES test_cuda_matrix.cpp
  LIBS flashcheck_subject_cuda flashcheck_cli_lib
  LABELS gpu
  TIMEOUT 1800)
