flashcheck_add_test(test_dd_math SOURCES test_dd_math.cpp LIBS flashcheck_oracle PkgConfig::MPFR PkgConfig::GMP LABELS oracle)
flashcheck_add_test(test_oracle_midpoint SOURCES test_oracle_midpoint.cpp LIBS flashcheck_oracle LABELS oracle)
