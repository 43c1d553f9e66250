# Bundles for devices the harness cannot run on (docs/bundle-protocol.md): export writes
# cases as .npy inputs, a runner on the device writes outputs, verify grades them.
target_sources(flashcheck_cli_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/npy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bundle_export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bundle_results.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bundle_verify.cpp)
target_sources(flashcheck PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/cmd_export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_verify.cpp)
