# Core model: binary formats, dtypes, tensors, cases, generators and metrics.
flashcheck_add_test(test_core
  SOURCES test_binary_format.cpp test_dtype.cpp test_generator.cpp test_metrics.cpp test_attention_case.cpp test_quantized_kv.cpp
  LIBS flashcheck_core
  LABELS core)
# Case files: the JSON codec, atomic saving, failure-artifact naming and counterexamples.
flashcheck_add_test(test_case_json
  SOURCES test_case_json.cpp support/counterexample.cpp
  LIBS flashcheck_core
  LABELS core)
