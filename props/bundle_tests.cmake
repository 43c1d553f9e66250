# Bundles for devices the harness cannot run on (cli/bundle_*.cpp, cli/npy.cpp,
# impls/external/*.py, docs/bundle-protocol.md): the .npy codec and the verify engine as
# unit tests, then the commands end to end with the Python runners where the interpreter
# has what they need (numpy; mlx for label mlx; torch for label torch): a test whose
# runner cannot be imported is skipped, never failed.
flashcheck_add_test(test_bundle_npy
  SOURCES test_bundle_npy.cpp
  LIBS flashcheck_cli_lib
  LABELS bundle)
flashcheck_add_test(test_bundle_verify
  SOURCES test_bundle_verify.cpp
  LIBS flashcheck_cli_lib flashcheck_impls
  LABELS bundle)

# The runners' interpreter: this cache variable when set, else (looked up when the test
# runs, so installing the runners later needs no reconfigure) the venv that
# ci/setup-python-runners.sh makes, else python3.
set(FLASHCHECK_RUNNER_PYTHON "" CACHE FILEPATH "Python with numpy (and mlx, torch) for the bundle runner tests")

set(bundle_dir ${CMAKE_CURRENT_BINARY_DIR}/cli_bundle)
set(bundle_script ${CMAKE_CURRENT_SOURCE_DIR}/bundle_round_trip.cmake)
set(bundle_runners ${PROJECT_SOURCE_DIR}/impls/external)

# bundle_round_trip(<test> <python module or ""> <verify status> <verify output regex>
#                   [LABELS ...] EXPORT <export args>... [RUN <runner.py> <args>...] [VERIFY <verify args>...])
function(bundle_round_trip name module expected regex)
  cmake_parse_arguments(B "" "" "LABELS;EXPORT;RUN;VERIFY" ${ARGN})
  # Lists travel '|'-separated: add_test would split them at ';'.
  foreach(part EXPORT RUN VERIFY)
    string(REPLACE ";" "|" ${part}_joined "${B_${part}}")
  endforeach()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND}
    -DFLASHCHECK=$<TARGET_FILE:flashcheck> "-DPYTHON=${FLASHCHECK_RUNNER_PYTHON}" -DMODULE=${module}
    -DDIR=${bundle_dir}/${name} -DEXPECTED=${expected} -DEXPECT_OUTPUT=${regex}
    "-DEXPORT_ARGS=${EXPORT_joined}" "-DRUN_ARGS=${RUN_joined}" "-DVERIFY_ARGS=${VERIFY_joined}"
    -P ${bundle_script})
  set_tests_properties(${name} PROPERTIES LABELS "cli;bundle;${B_LABELS}" TIMEOUT 120
    SKIP_REGULAR_EXPRESSION "BUNDLE-TEST-SKIPPED")
endfunction()

set(small --hq 4 --hkv 2 --lq 5 --lk 37 --dk 32 --dv 32 --seed 7)
# The reference runner passes a recipe case (GQA, causal, sinks, bf16 O; JUnit and JSON
# reports), the quick matrix and the MLX corpus cases (case files) ...
bundle_round_trip(cli_bundle_numpy numpy 0 "PASS +numpy-float64 .*RESULT: PASS.*JUnit report:"
  EXPORT ${small} --mask causal --sinks --o-type bf16
  RUN ${bundle_runners}/numpy_runner.py
  VERIFY --junit ${bundle_dir}/numpy-junit.xml --json ${bundle_dir}/numpy.json)
bundle_round_trip(cli_bundle_numpy_case_files numpy 0 "checks: +4 pass.*RESULT: PASS"
  EXPORT ${PROJECT_SOURCE_DIR}/corpus/third_party/mlx-cpu
  RUN ${bundle_runners}/numpy_runner.py)
bundle_round_trip(cli_bundle_numpy_quick_matrix numpy 0 "RESULT: PASS"
  EXPORT --matrix quick
  RUN ${bundle_runners}/numpy_runner.py)
# ... and its seeded bug is caught with the class a wrong result gets.
bundle_round_trip(cli_bundle_numpy_swap_heads numpy 1 "FAIL \\[wrong-result\\] +numpy-float64@swap-heads.*RESULT: FAIL"
  EXPORT ${small} --mask causal
  RUN ${bundle_runners}/numpy_runner.py --bug swap-heads)
# MLX's SDPA on the CPU: every case it takes passes its contract, or verify reports why not.
bundle_round_trip(cli_bundle_mlx_cpu mlx 0 "PASS +mlx-sdpa-cpu .*RESULT: PASS"
  LABELS mlx
  EXPORT ${small} --mask causal --q-type f32 --k-type f32 --v-type f32
  RUN ${bundle_runners}/mlx_runner.py --device cpu)
# The findings of docs/findings.md (M1, M2) still stand: the day MLX changes, this fails.
bundle_round_trip(cli_bundle_mlx_findings mlx 1
  "FAIL \\[wrong-result\\] +mlx-sdpa-cpu .*bool-mask-row.*FAIL \\[wrong-result\\] +mlx-sdpa-cpu .*causal-row-without-keys.*FAIL \\[wrong-result\\] +mlx-sdpa-cpu .*f16-scores-overflow.*FAIL \\[drift\\] +mlx-sdpa-cpu .*f16-scores-rounded.*RESULT: FAIL"
  LABELS mlx
  EXPORT ${PROJECT_SOURCE_DIR}/corpus/third_party/mlx-cpu
  RUN ${bundle_runners}/mlx_runner.py --device cpu)
bundle_round_trip(cli_bundle_torch_cpu torch 0 "PASS +torch-sdpa-math-cpu .*RESULT: PASS"
  LABELS torch
  EXPORT ${small} --mask causal --q-type f32 --k-type f32 --v-type f32
  RUN ${bundle_runners}/torch_runner.py --device cpu --backend all)

# Usage errors and broken bundles: 2 for a directory that is no bundle, 1 for no results.
cli_expect(cli_verify_not_a_bundle 2 OUTPUT "has no manifest.json" ARGS verify ${CMAKE_CURRENT_SOURCE_DIR})
cli_expect(cli_export_nothing 2 OUTPUT "nothing to export" ARGS export --out ${bundle_dir}/empty)
bundle_round_trip(cli_verify_no_results "" 2 "holds no runner results" EXPORT --lq 3 --lk 9 --dk 32 --dv 32)
# Corrupt pieces (results.json, o.npy, case.fcase) are covered by test_bundle_verify.
