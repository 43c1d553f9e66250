flashcheck_add_test(test_dd_math SOURCES test_dd_math.cpp LIBS flashcheck_oracle PkgConfig::MPFR PkgConfig::GMP LABELS oracle)
