// cpu-neon: the flash-attention loop on 4-lane Advanced SIMD vectors with FMA and
// fp32 accumulation (ARMv8-A baseline).
#include "impls/cpu_simd/f32_rows.hpp"
#include "impls/cpu_simd/flash_kernel.hpp"
#include "impls/cpu_simd/neon/neon_kernels.hpp"
#include "impls/cpu_simd/neon/neon_ops.hpp"
#include "impls/cpu_simd/vector_math.hpp"

namespace flashcheck::cpu_simd {

void neon_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc) {
  FlashKernel<Neon, F32Rows<Neon>>::run(a, begin, end, q_row, acc);
}

void neon_exp(const float* x, float* y, int64_t n) { map_floats<Neon, &exp_ps<Neon>>(x, y, n); }
void neon_tanh(const float* x, float* y, int64_t n) { map_floats<Neon, &tanh_ps<Neon>>(x, y, n); }

}  // namespace flashcheck::cpu_simd
