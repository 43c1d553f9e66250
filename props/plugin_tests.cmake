# The plugin host (impls/plugin/): description checks, PluginBackend runs of the example
# plugins in their worker (crash, timeout, restart), and the CLI's --plugin options.
if(TARGET flashcheck_plugin_host)
  flashcheck_add_test(test_plugin_host
    SOURCES test_plugin_host.cpp
    LIBS flashcheck_plugin_host flashcheck_plugin_common flashcheck_oracle flashcheck_verdict
    LABELS plugin
    TIMEOUT 60)
  target_compile_definitions(test_plugin_host PRIVATE
    FLASHCHECK_TEST_EXAMPLE_PLUGIN="$<TARGET_FILE:example_plugin>"
    FLASHCHECK_TEST_CRASHING_PLUGIN="$<TARGET_FILE:crashing_plugin>"
    FLASHCHECK_TEST_BAD_ABI_PLUGIN="$<TARGET_FILE:bad_abi_plugin>"
    FLASHCHECK_TEST_NO_ENTRY_PLUGIN="$<TARGET_FILE:no_entry_plugin>"
    FLASHCHECK_TEST_NOT_A_LIBRARY="${CMAKE_CURRENT_SOURCE_DIR}/plugin_tests.cmake")
  add_dependencies(test_plugin_host example_plugin crashing_plugin bad_abi_plugin no_entry_plugin)
  add_dependencies(flashcheck example_plugin crashing_plugin bad_abi_plugin no_entry_plugin)

  set(example_plugin $<TARGET_FILE:example_plugin>)
  set(crashing_plugin $<TARGET_FILE:crashing_plugin>)
  set(plugin_artifacts ${CMAKE_CURRENT_BINARY_DIR}/plugin-crash-artifacts)

  # The example kernel passes every case it takes, with 1 and 2 threads.
  cli_expect(plugin_cli_check_example 0
    OUTPUT "example-c: [1-9][0-9]* passed, 0 failed, 0 errors.*example-c-basic: [1-9][0-9]* passed, 0 failed, 0 errors.*RESULT: PASS"
    ARGS check --plugin ${example_plugin} --quick --artifacts ${CMAKE_CURRENT_BINARY_DIR}/plugin-example-artifacts)
  cli_expect(plugin_cli_check_example_2_threads 0 OUTPUT "RESULT: PASS"
    ARGS check --plugin ${example_plugin} --backend example-c --quick --plugin-threads 2 --artifacts ${CMAKE_CURRENT_BINARY_DIR}/plugin-example-artifacts)
  cli_expect(plugin_cli_run_example_1_thread 0 OUTPUT "verdict: pass"
    ARGS run --plugin ${example_plugin} --plugin-threads 1 --backend example-c --hq 4 --hkv 2 --lq 5 --lk 37
         --mask causal --sinks --softcap 20 --o-type bf16)
  cli_expect(plugin_cli_list 0 OUTPUT "example-c .*example-c-basic .*lacks: window"
    ARGS list --plugin ${example_plugin})

  # Crashes and hangs cost one verdict each (exit 1); the run goes on and grades later
  # cases; the failing case is saved with a replay command that loads the plugin.
  add_test(NAME plugin_cli_clean_artifacts COMMAND ${CMAKE_COMMAND} -E rm -rf ${plugin_artifacts})
  set_tests_properties(plugin_cli_clean_artifacts PROPERTIES FIXTURES_SETUP plugin_artifacts_clean LABELS cli)
  cli_expect(plugin_cli_check_segv 1
    OUTPUT "crashed .signal 11, SIGSEGV.*[1-9][0-9]* passed, 0 failed, [1-9][0-9]* errors.*replay case: flashcheck run --plugin [^ ]*crashing_plugin[^ ]* --backend crash-segv --case"
    ARGS check --plugin ${crashing_plugin} --backend crash-segv --quick --artifacts ${plugin_artifacts})
  set_tests_properties(plugin_cli_check_segv PROPERTIES FIXTURES_SETUP plugin_artifacts FIXTURES_REQUIRED plugin_artifacts_clean)
  cli_expect(plugin_cli_replay_segv 1 OUTPUT "ERROR .crashed. +crash-segv .*crashed .signal 11, SIGSEGV.*RESULT: FAIL"
    ARGS replay --plugin ${crashing_plugin} --backend crash-segv ${plugin_artifacts})
  set_tests_properties(plugin_cli_replay_segv PROPERTIES FIXTURES_REQUIRED plugin_artifacts)
  cli_expect(plugin_cli_run_abort 1 OUTPUT "crashed .signal 6, SIGABRT."
    ARGS run --plugin ${crashing_plugin} --backend crash-abort --lq 4 --lk 16)
  cli_expect(plugin_cli_run_hang 1 OUTPUT "timed out after 1 s.*replay: flashcheck run --plugin [^ ]* --plugin-timeout 1 --backend crash-hang"
    ARGS run --plugin ${crashing_plugin} --plugin-timeout 1 --backend crash-hang --lq 4 --lk 16 --mask causal)
  cli_expect(plugin_cli_run_error 1 OUTPUT "backend error: refused on purpose .n_threads = 2."
    ARGS run --plugin ${crashing_plugin} --plugin-threads 2 --backend fail-error --lq 4 --lk 16)
  cli_expect(plugin_cli_run_json_fault 1 OUTPUT "\"fault\": \"crashed\""
    ARGS run --plugin ${crashing_plugin} --backend crash-abort --lq 4 --lk 16 --json -)

  # Libraries that are no usable plugin: a usage error (exit 2) saying why.
  cli_expect(plugin_cli_bad_abi 2 OUTPUT "built for plugin ABI version 2, but this flashcheck speaks version 1"
    ARGS check --plugin $<TARGET_FILE:bad_abi_plugin> --quick)
  cli_expect(plugin_cli_no_entry 2 OUTPUT "exports no 'flashcheck_plugin' function"
    ARGS list --plugin $<TARGET_FILE:no_entry_plugin>)
  cli_expect(plugin_cli_missing 2 OUTPUT "no such file"
    ARGS check --plugin ${CMAKE_CURRENT_BINARY_DIR}/no-such-plugin.so --quick)
  cli_expect(plugin_cli_not_a_library 2 OUTPUT "cannot load .* as a shared library"
    ARGS run --plugin ${CMAKE_CURRENT_SOURCE_DIR}/plugin_tests.cmake --backend x)
  cli_expect(plugin_cli_twice 2 OUTPUT "subject 'example-c', which is already registered"
    ARGS list --plugin ${example_plugin} --plugin ${example_plugin})
endif()
