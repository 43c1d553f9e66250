# model-* subjects (impls/models): CPU emulations of Metal, ESIMD and Hexagon kernels, each
# graded against the oracle; every mutant is killed by a named generated case.
set(models_test_libs flashcheck_subject_models flashcheck_cli_lib)
flashcheck_add_test(test_models_registry SOURCES test_models_registry.cpp LIBS ${models_test_libs} LABELS subjects)
flashcheck_add_test(test_models_half_bits SOURCES test_models_half_bits.cpp LIBS ${models_test_libs} LABELS subjects)
flashcheck_add_test(test_models_metal_steel SOURCES test_models_metal_steel.cpp LIBS ${models_test_libs} LABELS subjects)
flashcheck_add_test(test_models_esimd_splitkv SOURCES test_models_esimd_splitkv.cpp LIBS ${models_test_libs} LABELS subjects)
flashcheck_add_test(test_models_hexagon_hmx SOURCES test_models_hexagon_hmx.cpp LIBS ${models_test_libs} LABELS subjects)
flashcheck_add_test(test_models_matrix SOURCES test_models_matrix.cpp LIBS ${models_test_libs} LABELS subjects)
