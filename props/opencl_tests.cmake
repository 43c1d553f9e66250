# The OpenCL subject (impls/opencl). Suites that need a device skip without one; the
# no-device suite hides every OpenCL platform from its own process.
if(TARGET flashcheck_subject_opencl)
  flashcheck_add_test(test_opencl_host
    SOURCES test_opencl_host.cpp
    LIBS flashcheck_subject_opencl flashcheck_cli_lib
    LABELS subjects)
  flashcheck_add_test(test_opencl_no_device
    SOURCES test_opencl_no_device.cpp
    LIBS flashcheck_subject_opencl
    LABELS subjects)
  flashcheck_add_test(test_opencl_kernels
    SOURCES test_opencl_kernels.cpp test_opencl_mutants.cpp
    LIBS flashcheck_subject_opencl flashcheck_cli_lib
    LABELS subjects)
  flashcheck_add_test(test_opencl_matrix
    SOURCES test_opencl_matrix.cpp
    LIBS flashcheck_subject_opencl flashcheck_cli_lib
    LABELS subjects)
endif()
