# The oracle against an independent 256-bit MPFR reference, hand-derived cases,
# and the reference's own checks (its rounding and its arithmetic).
flashcheck_add_test(test_oracle_reference
  SOURCES test_oracle_reference.cpp support/mpfr_reference.cpp
  LIBS flashcheck_core PkgConfig::MPFR PkgConfig::GMP
  LABELS oracle)

flashcheck_add_test(test_oracle
  SOURCES test_oracle_vs_mpfr.cpp test_oracle_hand.cpp test_oracle_escalation.cpp support/mpfr_reference.cpp
  LIBS flashcheck_core flashcheck_oracle PkgConfig::MPFR PkgConfig::GMP
  LABELS oracle
  TIMEOUT 120)
