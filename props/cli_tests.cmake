# Tests of the flashcheck command-line tool: the recipe <-> flags round trip as a
# unit test, and the built tool's exit-status contract (0 pass, 1 fail, 2 usage).
flashcheck_add_test(test_cli_recipe_flags
  SOURCES test_cli_recipe_flags.cpp
  LIBS flashcheck_cli_lib
  LABELS cli)
flashcheck_add_test(test_cli_failure_report
  SOURCES test_cli_failure_report.cpp
  LIBS flashcheck_cli_lib flashcheck_impls
  LABELS cli)
flashcheck_add_test(test_cli_check_matrix
  SOURCES test_cli_check_matrix.cpp
  LIBS flashcheck_cli_lib
  LABELS cli)

set(cli_test_backend cpu-textbook)
set(cli_expect_exit ${CMAKE_CURRENT_SOURCE_DIR}/cli_expect_exit.cmake)

# cli_expect(<test name> <expected status> [OUTPUT <regex>] [TIMEOUT <s>] ARGS <flashcheck arguments>...)
function(cli_expect name expected)
  cmake_parse_arguments(E "" "OUTPUT;TIMEOUT" "ARGS" ${ARGN})
  set(defs -DEXPECTED=${expected})
  if(DEFINED E_OUTPUT)
    list(APPEND defs "-DEXPECT_OUTPUT=${E_OUTPUT}")
  endif()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} ${defs} -P ${cli_expect_exit} -- $<TARGET_FILE:flashcheck> ${E_ARGS})
  if(NOT E_TIMEOUT)
    set(E_TIMEOUT 60)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS cli TIMEOUT ${E_TIMEOUT})
endfunction()

# Help everywhere, exit 0.
add_test(NAME cli_help COMMAND flashcheck --help)
set_tests_properties(cli_help PROPERTIES LABELS cli TIMEOUT 30)
foreach(sub list check run)
  cli_expect(cli_help_${sub} 0 OUTPUT "--help" ARGS ${sub} --help)
endforeach()

cli_expect(cli_list 0 OUTPUT "Distributions.*Mask patterns" ARGS list)
cli_expect(cli_list_json 0 OUTPUT "\"mask_patterns\"" ARGS list --json -)
cli_expect(cli_check_quick 0 OUTPUT "RESULT: PASS" TIMEOUT 240 ARGS check --quick)
cli_expect(cli_run_small 0 OUTPUT "replay: flashcheck run --backend ${cli_test_backend}"
  ARGS run --backend ${cli_test_backend} --hq 4 --hkv 2 --lq 5 --lk 37 --dk 64 --dv 64 --mask causal --seed 7)

# Usage errors: exactly 2, with a message.
cli_expect(cli_no_subcommand 2 ARGS)
cli_expect(cli_bad_flag 2 OUTPUT "--no-such-flag" ARGS check --no-such-flag)
cli_expect(cli_bad_threads 2 ARGS check --threads -1)
cli_expect(cli_bad_dtype 2 OUTPUT "f32" ARGS run --backend ${cli_test_backend} --q-type f64)
cli_expect(cli_bad_dimension 2 ARGS run --backend ${cli_test_backend} --lk 0)
cli_expect(cli_invalid_recipe 2 OUTPUT "multiple" ARGS run --backend ${cli_test_backend} --hq 3 --hkv 2)
cli_expect(cli_run_needs_backend 2 ARGS run --lq 4)
cli_expect(cli_unknown_backend 2 OUTPUT "registered: .*${cli_test_backend}" ARGS check --backend no_such_backend)

# Drift: a short sweep writes its plot and passes on the textbook kernel; bad input is a usage error.
cli_expect(cli_drift_textbook 0 OUTPUT "no drift.*plot:.*RESULT: no drift" TIMEOUT 120
  ARGS drift --backend ${cli_test_backend} --max-lk 1024 --dist same_sign_v uniform
       --plot ${CMAKE_CURRENT_BINARY_DIR}/cli_drift_textbook.svg)
cli_expect(cli_drift_bad_plot_extension 1 OUTPUT "must end in .svg or .png"
  ARGS drift --backend ${cli_test_backend} --max-lk 64 --dist uniform --plot ${CMAKE_CURRENT_BINARY_DIR}/drift.gif)
cli_expect(cli_drift_unknown_distribution 2 OUTPUT "unknown distribution"
  ARGS drift --backend ${cli_test_backend} --dist nope)

# Case files: a run saves the case it ran; replaying the file passes on the same backend
# and fails on a mutant (which saves the failing case); broken or missing files and
# --case mixed with recipe flags are usage errors.
set(cli_case_file ${CMAKE_CURRENT_BINARY_DIR}/cli_case_gqa.json)
cli_expect(cli_case_save 0 OUTPUT "case saved: .*cli_case_gqa.json"
  ARGS run --backend ${cli_test_backend} --hq 4 --hkv 2 --lq 5 --lk 37 --mask causal --seed 7 --save-case ${cli_case_file})
set_tests_properties(cli_case_save PROPERTIES FIXTURES_SETUP cli_case_file)
cli_expect(cli_case_replay 0 OUTPUT "case: +normal/causal.*replay: flashcheck run --backend ${cli_test_backend} --case "
  ARGS run --backend ${cli_test_backend} --case ${cli_case_file})
cli_expect(cli_case_replay_json 0 OUTPUT "\"case_file\": \"[^\"]*cli_case_gqa.json\""
  ARGS run --backend ${cli_test_backend} --case ${cli_case_file} --json -)
cli_expect(cli_case_replay_mutant 1 OUTPUT "verdict: FAIL.*failing case saved: .*cpu-scalar-gqa-head-modulo-normal-causal-7-"
  ARGS run --backend cpu-scalar@gqa-head-modulo --case ${cli_case_file}
       --save-failures ${CMAKE_CURRENT_BINARY_DIR}/cli_case_failures)
set_tests_properties(cli_case_replay cli_case_replay_json cli_case_replay_mutant PROPERTIES FIXTURES_REQUIRED cli_case_file)
cli_expect(cli_case_with_recipe_flags 2 OUTPUT "cannot be combined with recipe flags .given: --lq."
  ARGS run --backend ${cli_test_backend} --case ${cli_case_file} --lq 4)
cli_expect(cli_case_missing 2 OUTPUT "case file '[^']*no_such_case.json': cannot open"
  ARGS run --backend ${cli_test_backend} --case ${CMAKE_CURRENT_BINARY_DIR}/no_such_case.json)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/cli_case_truncated.json
  "{\"format\": \"flashcheck-case-json\", \"version\": 1, \"q\": {\"bits\": \"3c00 3c")
cli_expect(cli_case_truncated 2 OUTPUT "cli_case_truncated.json': not valid JSON"
  ARGS run --backend ${cli_test_backend} --case ${CMAKE_CURRENT_BINARY_DIR}/cli_case_truncated.json)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/cli_case_wrong_field.json
  "{\"format\": \"flashcheck-case-json\", \"version\": 1, \"family\": 3}")
cli_expect(cli_case_wrong_field 2 OUTPUT "cli_case_wrong_field.json': case JSON field 'family': must be a string"
  ARGS run --backend ${cli_test_backend} --case ${CMAKE_CURRENT_BINARY_DIR}/cli_case_wrong_field.json)

# check's contract checks: a failing case gets a diagnosis, a saved case file and both
# replay commands; the contracts are listed.
cli_expect(cli_check_diagnosis 1 OUTPUT "FAIL \\[masked-key-leak\\].*replay case: flashcheck run --backend cpu-scalar@causal-offset --case "
  TIMEOUT 120 ARGS check --quick --backend cpu-scalar@causal-offset --diagnose 1 --artifacts ${CMAKE_CURRENT_BINARY_DIR}/cli_check_artifacts)
cli_expect(cli_list_contracts 0 OUTPUT "model-hexagon-hmx.*contract: fp16-operands-sentinel-mask.*Contracts .*fp16-accumulation: f16 accumulation"
  ARGS list)
