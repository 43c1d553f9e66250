# Element formats of low-bit kernels: exhaustive code-space checks, test vectors, policies.
flashcheck_add_test(test_formats
  SOURCES test_formats_codespace.cpp test_formats_vectors.cpp test_formats_policy.cpp
  LIBS flashcheck_formats
  LABELS formats)
