#pragma once
// Entry points of the x86 kernels. Each ISA's are defined in their own translation
// unit compiled for that ISA alone: call them only after cpu_features.hpp says the
// CPU has it.
#include <cstdint>

#include "impls/cpu_simd/kernel_args.hpp"

namespace flashcheck::cpu_simd {

// Query rows [begin, end); q_row and acc: scratch of dk and dv rounded up to 16 floats.
using AttentionRowsFn = void (*)(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc);
// y[i] = f(x[i]) for i < n with the kernel's own vectorised function.
using VectorFn = void (*)(const float* x, float* y, int64_t n);

void avx2_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc);
void avx2_exp(const float* x, float* y, int64_t n);
void avx2_tanh(const float* x, float* y, int64_t n);

void avx512_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc);
void avx512_exp(const float* x, float* y, int64_t n);
void avx512_tanh(const float* x, float* y, int64_t n);

}  // namespace flashcheck::cpu_simd
