# Exhaustive encoder checks: the fast exact path against encode(), the checker itself,
# and NVIDIA's host conversions on the stratified slice (skipped without the headers).
flashcheck_add_test(test_exhaustive
  SOURCES test_exhaustive_table.cpp test_exhaustive_checker.cpp test_exhaustive_nvidia.cpp
  LIBS flashcheck_exhaustive
  LABELS formats
  TIMEOUT 120)

# The subcommand's exit statuses: 2 for bad flags (with the valid names), 0 for a clean sweep.
if(COMMAND cli_expect)
  cli_expect(cli_exhaustive_unknown_format 2 OUTPUT "known: fp8_e4m3"
    ARGS exhaustive --format fp9)
  cli_expect(cli_exhaustive_unknown_policy_name 2 OUTPUT "nan in \\{to_nan\\|to_zero\\|to_max\\}"
    ARGS exhaustive --format fp8_e4m3 --policy nearest_even,saturate,to_nowhere)
  cli_expect(cli_exhaustive_policy_the_format_rejects 2 OUTPUT "has no NaN"
    ARGS exhaustive --format fp4_e2m1 --policy nearest_even,saturate,to_nan)
  cli_expect(cli_exhaustive_oracle_self_check 0 OUTPUT "PASS: 4000000 inputs"
    ARGS exhaustive --format fp6_e3m2 --policy toward_neg_inf,saturate,to_max --limit 4000000)
  if(EXISTS "${FLASHCHECK_CUDA_INCLUDE}/cuda_fp8.h")
    cli_expect(cli_exhaustive_cuda_slice 0 OUTPUT "PASS: 20000000 inputs"
      ARGS exhaustive --format fp8_e4m3 --encoder cuda --policy nearest_even,to_inf_or_nan,to_nan --limit 20000000)
    cli_expect(cli_exhaustive_cuda_policy_not_offered 2 OUTPUT "nearest_even,saturate,to_max"
      ARGS exhaustive --format fp4_e2m1 --encoder cuda --policy nearest_away,saturate,to_max)
  endif()
endif()
