# ci/gpu-check.sh runs on a GPU machine only (docs/gpu-results.md); what CI can check here:
# its case set expands into recipes flashcheck accepts, and without a GPU it skips cleanly.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  set(gpu_cases_dir ${CMAKE_CURRENT_BINARY_DIR}/gpu-cases)
  add_test(NAME gpu_cases_are_valid_recipes COMMAND sh -c
    "rm -rf \"$1\" && \"$2\" \"$3/ci/gpu-cases.py\" \"$3/ci/gpu-cases.json\" \"$1\" && n=0 && for f in \"$1\"/*.json; do \"$4\" pack \"$f\" -o \"$f.fcase\" >/dev/null || exit 1; n=$((n+1)); done && echo \"$n recipes packed\" && [ $n -ge 20 ]"
    gpu-cases ${gpu_cases_dir} ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR} $<TARGET_FILE:flashcheck>)
  set_tests_properties(gpu_cases_are_valid_recipes PROPERTIES LABELS cli TIMEOUT 60)
endif()

# Only where no GPU is visible (the CI machines): on a GPU machine this would start the
# whole build and run instead of checking the skip.
find_program(NVIDIA_SMI nvidia-smi)
if(NOT NVIDIA_SMI)
  add_test(NAME gpu_check_skips_without_gpu
    COMMAND bash ${PROJECT_SOURCE_DIR}/ci/gpu-check.sh --out ${CMAKE_CURRENT_BINARY_DIR}/gpu-results-skip
            --build-dir ${CMAKE_CURRENT_BINARY_DIR}/gpu-check-unused)
  set_tests_properties(gpu_check_skips_without_gpu PROPERTIES LABELS cli TIMEOUT 60
    PASS_REGULAR_EXPRESSION "no NVIDIA GPU here.*skipped")
endif()
