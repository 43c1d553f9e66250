# fuzz_attention and fuzz_case_decoder: the binary case codec as fuzz input format.
# The case-space mutator and the limits of an attention input are a library, so the
# seed writer and the mutator's test (props/fuzz_tests.cmake) use the code the target runs.
add_library(flashcheck_fuzz_attention_support STATIC attention_fuzz_case.cpp case_mutator.cpp)
target_include_directories(flashcheck_fuzz_attention_support PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(flashcheck_fuzz_attention_support PUBLIC flashcheck_core PRIVATE flashcheck_warnings)

# Raw records of the largest accepted cases exceed this: the mutator then keeps recipes.
flashcheck_add_fuzzer(NAME fuzz_attention SOURCES fuzz_attention.cpp
  LIBS flashcheck_fuzz_attention_support flashcheck_cli_lib flashcheck_impls
  DICT fuzz_attention.dict MAX_LEN 65536)
# Under libFuzzer each input runs on a few subjects (chosen by a hash of the input), so the
# fuzzer explores more cases per second; the replay binary runs every subject.
if(FLASHCHECK_FUZZ_ENGINE STREQUAL "libfuzzer")
  target_compile_definitions(fuzz_attention PRIVATE FLASHCHECK_FUZZ_DEFAULT_SUBJECTS_PER_INPUT=2)
endif()
flashcheck_add_fuzzer(NAME fuzz_case_decoder SOURCES fuzz_case_decoder.cpp
  LIBS flashcheck_core
  DICT fuzz_case_decoder.dict MAX_LEN 16384)

# Rewrites the seed corpora (corpus/fuzz_attention/seeds, corpus/fuzz_case_decoder):
#   cmake --build <build> --target write_case_seeds && <build>/fuzz/write_case_seeds corpus
if(FLASHCHECK_FUZZ_ENGINE STREQUAL "replay")
  add_executable(write_case_seeds tools/write_case_seeds.cpp)
  target_link_libraries(write_case_seeds PRIVATE flashcheck_fuzz_attention_support flashcheck_core flashcheck_warnings)
endif()
