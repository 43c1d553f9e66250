# Tests of the fuzz targets' own machinery (the targets themselves replay their corpora
# as fuzz_replay_<target>, registered in fuzz/).
if(TARGET flashcheck_fuzz_attention_support)
  flashcheck_add_test(test_case_mutator SOURCES test_case_mutator.cpp
    LIBS flashcheck_fuzz_attention_support flashcheck_core LABELS fuzz TIMEOUT 120)
endif()
