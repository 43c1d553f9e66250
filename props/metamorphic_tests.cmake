# The exact case transformations (core/case_transforms) and the metamorphic properties
# built on them: one property body per relation, instantiated for every registered subject.
flashcheck_add_test(test_case_transforms
  SOURCES test_case_transforms.cpp
  LIBS flashcheck_core flashcheck_oracle
  LABELS core)
flashcheck_add_test(test_metamorphic
  SOURCES test_metamorphic_support.cpp support/counterexample.cpp test_metamorphic_invariance.cpp test_metamorphic_splitkv.cpp
          test_metamorphic_quantized.cpp test_metamorphic_lse.cpp
  LIBS flashcheck_impls flashcheck_oracle flashcheck_verdict
  LABELS subjects)
