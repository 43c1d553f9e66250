# Install rules and the CMake package, so a kernel project writes
#   find_package(flashcheck REQUIRED)
#   flashcheck_add_backend(my_kernel SOURCES my_kernel.c)
# and gets its kernel graded in its own ctest (examples/out_of_tree/).
#
# Installed: bin/flashcheck and bin/flashcheck-plugin-worker (side by side: the CLI
# looks for its worker next to itself), include/flashcheck/backend.h, and under
# lib/cmake/flashcheck the config, version, targets and flashcheck_add_backend().
# Targets: flashcheck::plugin_api (the C header), flashcheck::flashcheck (the CLI),
# flashcheck::plugin_worker; with COMPONENTS harness also flashcheck::harness, the
# case generators, oracle and judge as static libraries, for tests written in C++.
# Every path in the package is relative to the config file, so the prefix can move.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FLASHCHECK_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/flashcheck"
  CACHE STRING "Where the flashcheck CMake package goes, relative to the install prefix")
# The harness headers keep their in-tree paths ("core/generator.hpp"), so they get a
# directory of their own rather than spreading core/, oracle/ and verdict/ over include/.
set(FLASHCHECK_HARNESS_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/flashcheck/harness")

# --- The plugin API and the executables (always) -----------------------------------
set_target_properties(flashcheck_plugin_api PROPERTIES EXPORT_NAME plugin_api)
install(TARGETS flashcheck_plugin_api EXPORT flashcheckTargets
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/impls/plugin/include/flashcheck/backend.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/flashcheck)

install(TARGETS flashcheck EXPORT flashcheckTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET flashcheck-plugin-worker)
  set_target_properties(flashcheck-plugin-worker PROPERTIES EXPORT_NAME plugin_worker)
  install(TARGETS flashcheck-plugin-worker EXPORT flashcheckTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT flashcheckTargets NAMESPACE flashcheck:: DESTINATION ${FLASHCHECK_INSTALL_CMAKEDIR})

# --- The harness libraries (COMPONENTS harness) -------------------------------------
# The static libraries a C++ test needs to generate a case, compute its exact answer and
# judge an output, with everything they link. flashcheck_warnings and flashcheck_strict_fp
# come along only because the static libraries name them privately ($<LINK_ONLY:...>):
# they carry no link flags, so a consumer's compile flags are untouched.
set(flashcheck_harness_libraries
  flashcheck_numeric flashcheck_formats flashcheck_blocks
  flashcheck_core flashcheck_oracle flashcheck_verdict)
foreach(library IN LISTS flashcheck_harness_libraries)
  string(REPLACE "flashcheck_" "" export_name ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
set_target_properties(flashcheck_warnings PROPERTIES EXPORT_NAME internal_warnings)
set_target_properties(flashcheck_strict_fp PROPERTIES EXPORT_NAME internal_strict_fp)
# In the build tree the headers are the sources (core/CMakeLists.txt); an installed
# package points at its own copy of them.
target_include_directories(flashcheck_numeric PUBLIC $<INSTALL_INTERFACE:${FLASHCHECK_HARNESS_INCLUDEDIR}>)

add_library(flashcheck_harness INTERFACE)
target_link_libraries(flashcheck_harness INTERFACE flashcheck_core flashcheck_oracle flashcheck_verdict)
set_target_properties(flashcheck_harness PROPERTIES EXPORT_NAME harness)

install(TARGETS ${flashcheck_harness_libraries} flashcheck_harness flashcheck_warnings flashcheck_strict_fp
  EXPORT flashcheckHarnessTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT flashcheckHarnessTargets NAMESPACE flashcheck:: DESTINATION ${FLASHCHECK_INSTALL_CMAKEDIR})
foreach(header_dir core oracle oracle/formats oracle/blocks verdict)
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${header_dir}/*.hpp)
  install(FILES ${headers} DESTINATION ${FLASHCHECK_HARNESS_INCLUDEDIR}/${header_dir})
endforeach()

# --- Config, version, helper ---------------------------------------------------------
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/flashcheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/flashcheckConfig.cmake
  INSTALL_DESTINATION ${FLASHCHECK_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/flashcheckConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/package/flashcheckConfig.cmake
  ${PROJECT_BINARY_DIR}/package/flashcheckConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/FlashcheckAddBackend.cmake
  DESTINATION ${FLASHCHECK_INSTALL_CMAKEDIR})

# The same names inside this build, so flashcheck_add_backend() works in-tree too.
add_library(flashcheck::plugin_api ALIAS flashcheck_plugin_api)
add_library(flashcheck::harness ALIAS flashcheck_harness)
add_executable(flashcheck::flashcheck ALIAS flashcheck)
include(${CMAKE_CURRENT_LIST_DIR}/FlashcheckAddBackend.cmake)
