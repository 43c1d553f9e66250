# flashcheck_add_backend(): a kernel project's attention kernel, graded in its own ctest.
#
#   flashcheck_add_backend(<name>
#     SOURCES <files...>            sources of the plugin (C or C++) exporting flashcheck_plugin()
#     [LINK_LIBRARIES <libs...>]    what the plugin links besides flashcheck::plugin_api
#     [CHECK_ARGS <args...>]        more arguments for `flashcheck check` (--seed 7, --backend
#                                   <subject> to grade one of several subjects, ...)
#     [FULL]                        the full case matrix instead of --quick (minutes, not seconds)
#     [CORPUS <paths...>]           also replay these case files / directories (relative to the
#                                   current source dir) in the test flashcheck_<name>_replay
#     [REPLAY_ARGS <args...>]       more arguments for that replay
#     [PLUGIN_TIMEOUT <seconds>]    per-case limit before a hung kernel is reported "timed out"
#     [TIMEOUT <seconds>]           ctest limit of each test (default 300)
#     [LABELS <labels...>])         ctest labels besides "flashcheck"
#
# Builds <name> as a MODULE library and adds the ctest flashcheck_<name>:
#   flashcheck check --plugin $<TARGET_FILE:<name>> --quick <CHECK_ARGS>
# which grades every subject the plugin declares against the exact oracle and fails on any
# failed verdict, error, crash or timeout; cases needing features a subject does not declare
# are reported unsupported, not failed. With CORPUS, flashcheck_<name>_replay replays saved
# cases on the plugin (the .json case files `flashcheck check` saves on failure, or .fcase
# records made from them with `flashcheck pack`), so a fixed bug stays fixed. Failing cases
# are saved under <build>/flashcheck-artifacts/<name>/, to rerun with
# `flashcheck run --plugin <lib> --backend <subject> --case <file>`.
#
# Needs flashcheck::flashcheck and flashcheck::plugin_api: find_package(flashcheck) defines
# them, and so does the flashcheck build itself. Call enable_testing() in the project.
function(flashcheck_add_backend name)
  cmake_parse_arguments(PARSE_ARGV 1 FC "FULL" "PLUGIN_TIMEOUT;TIMEOUT"
    "SOURCES;LINK_LIBRARIES;CHECK_ARGS;CORPUS;REPLAY_ARGS;LABELS")
  if(FC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "flashcheck_add_backend(${name}): unknown arguments: ${FC_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT FC_SOURCES)
    message(FATAL_ERROR "flashcheck_add_backend(${name}): SOURCES is required")
  endif()
  foreach(required_target flashcheck::flashcheck flashcheck::plugin_api)
    if(NOT TARGET ${required_target})
      message(FATAL_ERROR "flashcheck_add_backend(${name}): no target ${required_target}; call find_package(flashcheck) first")
    endif()
  endforeach()

  # MODULE: loaded with dlopen by the worker, never linked. Hidden visibility keeps the
  # plugin's own symbols from clashing with the host's; the entry point is exported by
  # FC_PLUGIN_EXPORT in backend.h.
  add_library(${name} MODULE ${FC_SOURCES})
  target_link_libraries(${name} PRIVATE flashcheck::plugin_api ${FC_LINK_LIBRARIES})
  set_target_properties(${name} PROPERTIES C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden)

  set(plugin_args --plugin $<TARGET_FILE:${name}>)
  if(DEFINED FC_PLUGIN_TIMEOUT)
    list(APPEND plugin_args --plugin-timeout ${FC_PLUGIN_TIMEOUT})
  endif()
  if(NOT FC_FULL)
    set(matrix_args --quick)
  endif()
  if(NOT DEFINED FC_TIMEOUT)
    set(FC_TIMEOUT 300)
  endif()
  set(artifacts ${CMAKE_BINARY_DIR}/flashcheck-artifacts/${name})

  add_test(NAME flashcheck_${name}
    COMMAND $<TARGET_FILE:flashcheck::flashcheck> check ${plugin_args} ${matrix_args} --artifacts ${artifacts} ${FC_CHECK_ARGS})
  set(test_names flashcheck_${name})
  if(FC_CORPUS)
    set(corpus_paths)
    foreach(path IN LISTS FC_CORPUS)
      get_filename_component(path "${path}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      list(APPEND corpus_paths "${path}")
    endforeach()
    # --no-kills: the expected kills a corpus lists name flashcheck's own mutants, not this kernel.
    add_test(NAME flashcheck_${name}_replay
      COMMAND $<TARGET_FILE:flashcheck::flashcheck> replay ${plugin_args} --no-kills --artifacts ${artifacts}
              --junit ${CMAKE_CURRENT_BINARY_DIR}/flashcheck_${name}_replay.xml ${FC_REPLAY_ARGS} ${corpus_paths})
    list(APPEND test_names flashcheck_${name}_replay)
  endif()
  set_tests_properties(${test_names} PROPERTIES LABELS "flashcheck;${FC_LABELS}" TIMEOUT ${FC_TIMEOUT})
endfunction()
