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
