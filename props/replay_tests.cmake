# `flashcheck replay` (cli/replay_*.cpp, cli/junit_report.cpp): JUnit escaping and
# structure, kill checking and the engine as unit tests; the command's exit-status
# contract on saved cases with cli_expect() (props/cli_tests.cmake).
flashcheck_add_test(test_replay_junit
  SOURCES test_replay_junit.cpp
  LIBS flashcheck_cli_lib
  LABELS cli)
flashcheck_add_test(test_replay_kills
  SOURCES test_replay_kills.cpp
  LIBS flashcheck_cli_lib
  LABELS cli)
flashcheck_add_test(test_replay_engine
  SOURCES test_replay_engine.cpp
  LIBS flashcheck_cli_lib flashcheck_impls
  LABELS cli)

set(replay_dir ${CMAKE_CURRENT_BINARY_DIR}/cli_replay)
file(REMOVE_RECURSE ${replay_dir})
file(MAKE_DIRECTORY ${replay_dir}/saved ${replay_dir}/packed ${replay_dir}/mixed ${replay_dir}/other_files)

# A JSON case record whose notes expect cpu-scalar@gqa-head-modulo to fail the case with
# the given class (a GQA case: the mutant pairs query heads with the wrong KV head).
function(replay_kill_record path bug_class)
  file(WRITE ${path} "{\"format\": \"flashcheck-case-record\", \"version\": 1,
 \"notes\": {\"name\": \"replay-test-gqa\", \"summary\": \"GQA case of the replay tests\",
           \"kills\": [{\"backend\": \"cpu-scalar@gqa-head-modulo\", \"bug_class\": \"${bug_class}\"}]},
 \"recipe\": {\"shape\": {\"batch\": 1, \"hq\": 4, \"hkv\": 2, \"lq\": 5, \"lk\": 37, \"dk\": 32, \"dv\": 32},
   \"q_type\": \"f32\", \"k_type\": \"f16\", \"v_type\": \"f16\", \"o_type\": \"f32\",
   \"distribution\": \"normal\", \"mask\": \"causal\", \"window\": 0, \"scale\": null,
   \"max_bias\": \"0x0p+0\", \"softcap\": \"0x0p+0\", \"sinks\": false, \"layout\": \"contiguous\",
   \"k_quant\": \"\", \"v_quant\": \"\", \"kv_layout\": \"aos\", \"hadamard\": false,
   \"v_nan_scale\": false, \"seed\": 7}}\n")
endfunction()
replay_kill_record(${replay_dir}/kill.json wrong-result)
replay_kill_record(${replay_dir}/kill_wrong_class.json drift)
replay_kill_record(${replay_dir}/mixed/kill.json wrong-result)
file(WRITE ${replay_dir}/mixed/corrupt.fcase "FCASE but not a record\n")
file(WRITE ${replay_dir}/mixed/notes.txt "not a case file\n")
replay_kill_record(${replay_dir}/other_files/kill.json wrong-result)
file(WRITE ${replay_dir}/other_files/notes.txt "not a case file\n")

# A case saved by `run --save-case` (a JSON case file) replays clean on the textbook
# kernel and fails on a mutant, which prints the replay command.
set(replay_saved ${replay_dir}/saved/gqa.json)
cli_expect(cli_replay_save_case 0 OUTPUT "case saved:"
  ARGS run --backend ${cli_test_backend} --hq 4 --hkv 2 --lq 5 --lk 37 --mask causal --seed 7 --save-case ${replay_saved})
set_tests_properties(cli_replay_save_case PROPERTIES FIXTURES_SETUP cli_replay_saved)
cli_expect(cli_replay_textbook 0 OUTPUT "PASS +${cli_test_backend} +[^ ]*gqa.json.*RESULT: PASS"
  ARGS replay ${replay_dir}/saved --backend ${cli_test_backend})
cli_expect(cli_replay_mutant 1
  OUTPUT "FAIL \\[wrong-result\\] +cpu-scalar@gqa-head-modulo .*replay: flashcheck run --backend cpu-scalar@gqa-head-modulo --case [^ ]*gqa.json.*RESULT: FAIL"
  ARGS replay ${replay_saved} --backend cpu-scalar@gqa-head-modulo,${cli_test_backend})
set_tests_properties(cli_replay_textbook cli_replay_mutant PROPERTIES FIXTURES_REQUIRED cli_replay_saved)

# Expected kills: confirmed with the right class (also from the packed binary record, with
# a JUnit report), missed with the wrong one; skipped when --backend names other subjects.
cli_expect(cli_replay_kill 0 OUTPUT "killed \\[wrong-result\\] +cpu-scalar@gqa-head-modulo.*kills: +1 confirmed"
  ARGS replay ${replay_dir}/kill.json --backend cpu-scalar)
cli_expect(cli_replay_kill_missed 1 OUTPUT "NOT killed +cpu-scalar@gqa-head-modulo .*expected drift.*RESULT: FAIL"
  ARGS replay ${replay_dir}/kill_wrong_class.json --backend cpu-scalar)
cli_expect(cli_replay_kill_not_selected 0 OUTPUT "kill skipped +cpu-scalar@gqa-head-modulo .*not among the --backend"
  ARGS replay ${replay_dir}/kill.json --backend ${cli_test_backend})
cli_expect(cli_replay_pack 0 OUTPUT "packed"
  ARGS pack ${replay_dir}/kill.json -o ${replay_dir}/packed/kill.fcase)
set_tests_properties(cli_replay_pack PROPERTIES FIXTURES_SETUP cli_replay_packed)
cli_expect(cli_replay_junit 0 OUTPUT "killed \\[wrong-result\\].*JUnit report: "
  ARGS replay ${replay_dir}/packed --backend cpu-scalar,${cli_test_backend} --junit ${replay_dir}/packed.xml
       --json ${replay_dir}/packed.json)
set_tests_properties(cli_replay_junit PROPERTIES FIXTURES_REQUIRED cli_replay_packed FIXTURES_SETUP cli_replay_junit)
file(WRITE ${replay_dir}/check_junit.cmake [=[
file(READ ${XML} xml)
foreach(expected
    "<testsuites name=\"flashcheck replay\" tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\""
    "<testsuite name=\"cpu-scalar@gqa-head-modulo\" tests=\"1\""
    "<testcase name=\"[^\"]*kill.fcase kills cpu-scalar@gqa-head-modulo\""
    "<testcase name=\"[^\"]*kill.fcase on cpu-textbook\" classname=\"replay.cpu-textbook\"")
  if(NOT xml MATCHES "${expected}")
    message(FATAL_ERROR "${XML} does not match '${expected}':\n${xml}")
  endif()
endforeach()
file(READ ${JSON} json)
string(JSON status GET "${json}" results 2 status)
string(JSON pass GET "${json}" pass)
if(NOT status STREQUAL "killed" OR NOT pass STREQUAL "ON")
  message(FATAL_ERROR "${JSON}: results[2].status '${status}', pass '${pass}'")
endif()
]=])
add_test(NAME cli_replay_junit_content
  COMMAND ${CMAKE_COMMAND} -DXML=${replay_dir}/packed.xml -DJSON=${replay_dir}/packed.json -P ${replay_dir}/check_junit.cmake)
set_tests_properties(cli_replay_junit_content PROPERTIES LABELS cli TIMEOUT 30 FIXTURES_REQUIRED cli_replay_junit)

# Walked directories: a .fcase that does not decode fails the run by name; other files
# are listed as skipped (errors only under --strict).
cli_expect(cli_replay_corrupt 1
  OUTPUT "BAD FILE +- +[^ ]*corrupt.fcase .*not valid cases .errors.:.*corrupt.fcase: .*skipped files .1.:.*notes.txt: not a case file"
  ARGS replay ${replay_dir}/mixed --backend ${cli_test_backend})
cli_expect(cli_replay_corrupt_named 1 OUTPUT "corrupt.fcase"
  ARGS replay ${replay_dir}/mixed/corrupt.fcase --backend ${cli_test_backend})
cli_expect(cli_replay_other_files 0 OUTPUT "skipped files .1.:.*notes.txt: not a case file.*RESULT: PASS"
  ARGS replay ${replay_dir}/other_files --backend cpu-scalar)
cli_expect(cli_replay_strict 1 OUTPUT "skipped files .1., errors under --strict.*RESULT: FAIL"
  ARGS replay ${replay_dir}/other_files --backend cpu-scalar --strict)

# Usage errors: exactly 2.
cli_expect(cli_replay_unknown_backend 2 OUTPUT "unknown backend 'no_such_backend'"
  ARGS replay ${replay_dir}/kill.json --backend no_such_backend)
cli_expect(cli_replay_unknown_mutant 2 OUTPUT "no-such-bug"
  ARGS replay ${replay_dir}/kill.json --backend cpu-scalar@no-such-bug)
cli_expect(cli_replay_missing_path 2 OUTPUT "no such file or directory: '[^']*no_such_dir'"
  ARGS replay ${replay_dir}/no_such_dir)
cli_expect(cli_replay_needs_path 2 ARGS replay)
cli_expect(cli_help_replay 0 OUTPUT "--junit" ARGS replay --help)
