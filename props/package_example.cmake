# The CMake package, end to end, as a kernel project uses it. Two steps:
#
#   cmake -DSTEP=install -DBUILD_DIR=<flashcheck build> -DPREFIX=<dir> -DTARGETS=<t1,t2> -P package_example.cmake
#     builds TARGETS (a no-op after a normal build), installs the build into a staging
#     prefix and moves it to PREFIX, so the package is used from a place it was not
#     installed to (it must be relocatable).
#
#   cmake -DSTEP=example -DEXAMPLE=<source dir> -DWORK=<dir> -DPREFIX=<dir> -DEXPECT=pass|fail
#         [-DGENERATOR=...] [-DC_COMPILER=...] [-DCXX_COMPILER=...] [-DC_DEFINES=<-Dname>] [-DTESTS=<regex>]
#         [-DEXPECT_OUTPUT=<regex&&regex...>] -P package_example.cmake
#     configures the example in a fresh WORK with CMAKE_PREFIX_PATH=PREFIX, builds it,
#     runs its ctest (only tests matching TESTS when given) and checks the outcome:
#     pass: every test passed; fail: ctest failed and every selected test is listed failed.
#     Each EXPECT_OUTPUT regex must match the tests' output (so a failure is the verdict's,
#     not a usage error or a crash).
foreach(required STEP PREFIX)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "pass -D${required}=...")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(step_output "${out}${err}" PARENT_SCOPE)
  set(step_status "${status}" PARENT_SCOPE)
  list(JOIN ARGN " " shown)
  message("== ${what}: ${shown} -> ${status}")
endfunction()

function(require_success what)
  run_step("${what}" ${ARGN})
  if(NOT step_status EQUAL 0)
    message("${step_output}")
    message(FATAL_ERROR "${what} failed (exit status ${step_status})")
  endif()
  set(step_output "${step_output}" PARENT_SCOPE)
endfunction()

if(STEP STREQUAL "install")
  set(staging "${PREFIX}-staging")
  file(REMOVE_RECURSE "${PREFIX}" "${staging}")
  set(target_args)
  string(REPLACE "," ";" TARGETS "${TARGETS}")
  foreach(target IN LISTS TARGETS)
    list(APPEND target_args --target ${target})
  endforeach()
  require_success("build" ${CMAKE_COMMAND} --build "${BUILD_DIR}" ${target_args})
  require_success("install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${staging}")
  file(RENAME "${staging}" "${PREFIX}")
  # Every executable built here must be installed (the CLI looks for its worker beside
  # itself before the build tree, so a missing worker would go unnoticed otherwise).
  set(expected_files include/flashcheck/backend.h)
  foreach(target IN LISTS TARGETS)
    list(APPEND expected_files bin/${target})
  endforeach()
  foreach(installed IN LISTS expected_files)
    if(NOT EXISTS "${PREFIX}/${installed}")
      message(FATAL_ERROR "the install has no ${installed}")
    endif()
  endforeach()
  return()
endif()

if(NOT STEP STREQUAL "example")
  message(FATAL_ERROR "STEP must be install or example, not '${STEP}'")
endif()
foreach(required EXAMPLE WORK EXPECT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "pass -D${required}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK}")
set(configure_args -S "${EXAMPLE}" -B "${WORK}" "-DCMAKE_PREFIX_PATH=${PREFIX}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(C_COMPILER)
  list(APPEND configure_args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(C_DEFINES)
  list(APPEND configure_args "-DCMAKE_C_FLAGS=${C_DEFINES}")
endif()
require_success("configure the example" ${CMAKE_COMMAND} ${configure_args})

# The package found must be the one just installed, not one elsewhere on the machine.
file(STRINGS "${WORK}/CMakeCache.txt" found_dir REGEX "^flashcheck_DIR:")
string(REGEX REPLACE "^[^=]*=" "" found_dir "${found_dir}")
file(REAL_PATH "${PREFIX}" real_prefix)
file(REAL_PATH "${found_dir}" real_found)
string(FIND "${real_found}" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "find_package(flashcheck) found ${found_dir}, not the package under ${PREFIX}")
endif()

require_success("build the example" ${CMAKE_COMMAND} --build "${WORK}")

set(ctest_args --test-dir "${WORK}" --verbose --no-tests=error)
if(TESTS)
  list(APPEND ctest_args -R "${TESTS}")
endif()
run_step("the example's ctest" ${CMAKE_CTEST_COMMAND} ${ctest_args})
message("${step_output}")

# The test names ctest ran, and those it reports failed.
string(REGEX MATCHALL "Test +#[0-9]+: [A-Za-z0-9_.-]+" ran "${step_output}")
list(TRANSFORM ran REPLACE "Test +#[0-9]+: " "")
list(REMOVE_DUPLICATES ran)
if(NOT ran)
  message(FATAL_ERROR "the example's ctest ran no test")
endif()
if(EXPECT STREQUAL "pass")
  if(NOT step_status EQUAL 0 OR NOT step_output MATCHES "100% tests passed")
    message(FATAL_ERROR "the example's tests (${ran}) should all pass; ctest exit status ${step_status}")
  endif()
elseif(EXPECT STREQUAL "fail")
  if(step_status EQUAL 0)
    message(FATAL_ERROR "the example's tests (${ran}) passed, but its kernel is wrong: they must fail")
  endif()
  foreach(test IN LISTS ran)
    if(NOT step_output MATCHES "[0-9]+ - ${test} \\(Failed\\)")
      message(FATAL_ERROR "${test} did not fail on the wrong kernel")
    endif()
  endforeach()
else()
  message(FATAL_ERROR "EXPECT must be pass or fail, not '${EXPECT}'")
endif()
string(REPLACE "&&" ";" EXPECT_OUTPUT "${EXPECT_OUTPUT}")
foreach(regex IN LISTS EXPECT_OUTPUT)
  if(NOT step_output MATCHES "${regex}")
    message(FATAL_ERROR "the example's test output does not match '${regex}'")
  endif()
endforeach()
message("== the example's tests ${ran}: ${EXPECT}ed as expected")
