# The kill table: the quick check plan (cli/check_plan.hpp) on every subject and every
# seeded bug of docs/mutants.md. Each mutant must fail and be diagnosed with its class;
# each correct subject must pass. In the default ctest run (label mutants, not slow).
flashcheck_add_test(test_kill_table
  SOURCES test_kill_table.cpp
  LIBS flashcheck_cli_lib flashcheck_impls
  LABELS mutants)
