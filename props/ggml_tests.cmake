# ggml (the pinned llama-cpp-python's, built by ci/setup-ggml.sh): its quantizers and
# E8M0 decoders against the oracle's policies, and its CPU flash attention graded as the
# plugin subject "ggml-cpu". Only a build that found ggml (impls/ggml/GgmlCache.cmake)
# has these tests; all carry the label `ggml`.
if(NOT TARGET flashcheck_ggml_libs)
  return()
endif()

flashcheck_add_test(test_ggml_formats
  SOURCES test_ggml_quantizers.cpp test_ggml_e8m0.cpp
  LIBS flashcheck_blocks flashcheck_ggml_libs
  LABELS ggml)
set_target_properties(test_ggml_formats PROPERTIES BUILD_RPATH "${FLASHCHECK_GGML_LIB_DIR}")

# The subject through the CLI (the plugin host loads impls/ggml's plugin for --with-ggml).
# check --quick fails, and must keep failing with these classes until ggml changes:
# drift (Q rounded to K's type and f16 V sums on the vec path) and masked-key-leak (the
# tiled path multiplies masked K/V). Failing cases are saved under the build tree.
if(TARGET flashcheck AND TARGET flashcheck_plugin_host)
  set(ggml_artifacts ${CMAKE_CURRENT_BINARY_DIR}/ggml-artifacts)
  cli_expect(cli_ggml_list 0 OUTPUT "ggml-cpu .*contract: fp32.*ggml-cpu-t1.*ggml-cpu-t2" ARGS list --with-ggml)
  cli_expect(cli_ggml_check_quick 1 TIMEOUT 240
    OUTPUT "ggml-cpu \\| decode/.*FAIL \\[drift\\].*FAIL \\[masked-key-leak\\].*RESULT: FAIL"
    ARGS check --with-ggml --backend ggml-cpu --quick --artifacts ${ggml_artifacts})
  # Every internal path (vec, split-KV decode, tiled) on 1 and 2 threads: the findings'
  # cases must still fail as listed in their notes, the others pass.
  cli_expect(cli_ggml_replay_corpus 0 TIMEOUT 240 OUTPUT "kills: +[0-9]+ confirmed, 0 NOT killed.*RESULT: PASS"
    ARGS replay ${PROJECT_SOURCE_DIR}/corpus/third_party/ggml-cpu --with-ggml --backend ggml-cpu-t1,ggml-cpu-t2
         --artifacts ${ggml_artifacts})
  set_tests_properties(cli_ggml_list cli_ggml_check_quick cli_ggml_replay_corpus PROPERTIES LABELS "ggml;cli")
endif()

# The MXFP4 / E8M0 decoding probe that ci/gpu-ggml-cuda.sh runs on CUDA, here on the CPU
# backend: every scale and code; the only values that may differ from OCP MX are scale 0xFF's
# (ggml decodes OCP's NaN scale as 2^128) and the sign of E2M1's -0 (counted apart).
if(TARGET flashcheck-ggml-mxfp4)
  add_test(NAME ggml_mxfp4_probe_cpu COMMAND flashcheck-ggml-mxfp4 cpu)
  set_tests_properties(ggml_mxfp4_probe_cpu PROPERTIES LABELS ggml TIMEOUT 60
    PASS_REGULAR_EXPRESSION "RESULT: 16 of 4096 values differ from OCP MX on CPU; scales: 0xff\nzeros of the wrong sign \\(not counted above\\): 255")
  add_test(NAME ggml_mxfp4_probe_usage COMMAND flashcheck-ggml-mxfp4 tpu)
  set_tests_properties(ggml_mxfp4_probe_usage PROPERTIES LABELS ggml TIMEOUT 60
    PASS_REGULAR_EXPRESSION "no ggml backend 'tpu'")
endif()
