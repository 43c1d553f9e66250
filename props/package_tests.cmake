# The CMake package (cmake/FlashcheckInstall.cmake) as a kernel project uses it: install
# this build into a prefix under the build dir (moved after installing: it must be
# relocatable), then configure, build and ctest examples/out_of_tree against it, once with
# its kernel as written (every test passes) and once built with a bug (every test fails),
# so flashcheck_add_backend()'s test is known to grade. Driver: package_example.cmake.
set(package_driver ${CMAKE_CURRENT_SOURCE_DIR}/package_example.cmake)
set(package_work ${CMAKE_CURRENT_BINARY_DIR}/package)
set(package_prefix ${package_work}/prefix)
set(package_example ${PROJECT_SOURCE_DIR}/examples/out_of_tree)

# What the install copies must exist; after a normal build this build is a no-op.
set(package_targets flashcheck)
if(TARGET flashcheck-plugin-worker)
  string(APPEND package_targets ",flashcheck-plugin-worker")
endif()
add_test(NAME package_install
  COMMAND ${CMAKE_COMMAND} -DSTEP=install -DBUILD_DIR=${PROJECT_BINARY_DIR} -DPREFIX=${package_prefix}
          -DTARGETS=${package_targets} -P ${package_driver})
set_tests_properties(package_install PROPERTIES LABELS package TIMEOUT 300 FIXTURES_SETUP flashcheck_package)

# package_example(<test> <pass|fail> <C defines or ""> <expected output regexes, && between>)
function(package_example name expect defines output)
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND} -DSTEP=example -DEXAMPLE=${package_example} -DWORK=${package_work}/${name}
            -DPREFIX=${package_prefix} -DEXPECT=${expect} -DC_DEFINES=${defines} "-DEXPECT_OUTPUT=${output}"
            "-DGENERATOR=${CMAKE_GENERATOR}" -DC_COMPILER=${CMAKE_C_COMPILER} -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
            -P ${package_driver})
  set_tests_properties(${name} PROPERTIES LABELS package TIMEOUT 120 FIXTURES_REQUIRED flashcheck_package)
endfunction()

# As written: the quick matrix passes with the undeclared features reported unsupported, the
# saved cases replay, and the in-process harness check passes.
package_example(package_example pass ""
  "passed, 0 failed, 0 errors, [1-9][0-9]* unsupported&&RESULT: PASS&&checks: +2 pass, 0 fail&&my-attention: 0 of 4 cases failed")
# Without the 1/l normalisation: each of the three tests fails on a verdict (the contract's
# budget), not on an error.
package_example(package_example_wrong_kernel fail -DMY_ATTENTION_DROP_NORMALISATION
  "[1-9][0-9]* failed, 0 errors&&RESULT: FAIL&&checks: +[0-9]+ pass, [1-9][0-9]* fail&&exceed the fp32 contract's budget&&my-attention: 4 of 4 cases failed")
