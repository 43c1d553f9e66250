# Block formats: OCP MX and ggml block quantization, byte layouts, Hadamard rotation.
flashcheck_add_test(test_blocks
  SOURCES test_blocks_scale.cpp test_blocks_mx.cpp test_blocks_ggml.cpp test_blocks_layout.cpp test_blocks_hadamard.cpp
  LIBS flashcheck_blocks
  LABELS formats)
