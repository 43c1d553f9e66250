#pragma once
// Entry points of the aarch64 kernels inside the runner. The fp32 kernel needs only
// ARMv8-A Advanced SIMD; the fp16 one is built for armv8.2-a+fp16 and may run only
// where the CPU reports asimdhp (the runner checks).
#include <cstdint>

#include "impls/cpu_simd/kernel_args.hpp"

namespace flashcheck::cpu_simd {

// Query rows [begin, end); q_row and acc: scratch of dk and dv rounded up to 16 floats.
void neon_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc);
// Scores (q . k) and the output accumulator in fp16 arithmetic; softmax statistics,
// exp and the final division in fp32. Scratch: dk and dv rounded up to 16 halves.
void neon_fp16_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, __fp16* q_row, __fp16* acc);

void neon_exp(const float* x, float* y, int64_t n);
void neon_tanh(const float* x, float* y, int64_t n);

}  // namespace flashcheck::cpu_simd
