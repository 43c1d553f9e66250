// cpu-neon-fp16: the same flash-attention loop with fp16 arithmetic where fp16
// kernels use it: Q and K in fp16 registers, q.k accumulated by 8-lane fp16 FMAs and
// reduced pairwise in fp16, and the output accumulator held, rescaled and updated in
// fp16. The softmax statistics (running max, exp, denominator) and the final
// division stay in fp32. Built with -march=armv8.2-a+fp16.
#include <arm_neon.h>

#include "impls/cpu_simd/flash_kernel.hpp"
#include "impls/cpu_simd/neon/neon_kernels.hpp"
#include "impls/cpu_simd/neon/neon_ops.hpp"
#include "impls/cpu_simd/vector_math.hpp"

namespace flashcheck::cpu_simd {
namespace {

struct Fp16Rows {
  using QElem = float16_t;
  using AccElem = float16_t;
  static constexpr int64_t kHalfLanes = 8;

  static int64_t lanes_left(int64_t n, int64_t d, int64_t lanes) { return n - d < lanes ? n - d : lanes; }

  // Eight elements of storage type T as fp16 (two f32 halves narrowed, round to nearest).
  template <ElemType T>
  static float16x8_t load8(RowRef r, int64_t d, int64_t count) {
    if constexpr (T == ElemType::f16) {
      if (r.stride == 1 && count == kHalfLanes) return vld1q_f16(reinterpret_cast<const float16_t*>(r.first) + d);
    }
    const int64_t low = count < 4 ? count : 4;
    const float32x4_t lo = Neon::load_row<T>(r, d, low);
    const float32x4_t hi = count > 4 ? Neon::load_row<T>(r, d + 4, count - 4) : Neon::zero();
    return vcombine_f16(vcvt_f16_f32(lo), vcvt_f16_f32(hi));
  }

  template <ElemType T>
  static void load_q_as(RowRef row, int64_t n, float16_t* q) {
    for (int64_t d = 0; d < n; d += kHalfLanes) vst1q_f16(q + d, load8<T>(row, d, lanes_left(n, d, kHalfLanes)));
  }

  static void load_q(ElemType type, RowRef row, int64_t n, float16_t* q) { kLoadQ[static_cast<int>(type)](row, n, q); }

  template <ElemType T>
  static float dot(const float16_t* q, RowRef k, int64_t n) {
    float16x8_t sum = vdupq_n_f16(0);
    for (int64_t d = 0; d < n; d += kHalfLanes)
      sum = vfmaq_f16(sum, vld1q_f16(q + d), load8<T>(k, d, lanes_left(n, d, kHalfLanes)));
    sum = vpaddq_f16(sum, sum);  // pairwise halving, in fp16
    sum = vpaddq_f16(sum, sum);
    sum = vpaddq_f16(sum, sum);
    return static_cast<float>(vgetq_lane_f16(sum, 0));
  }

  static void zero(float16_t* acc, int64_t n) {
    for (int64_t d = 0; d < n; d += kHalfLanes) vst1q_f16(acc + d, vdupq_n_f16(0));
  }

  static void scale(float16_t* acc, float alpha, int64_t n) {
    const float16x8_t a = vdupq_n_f16(static_cast<float16_t>(alpha));
    for (int64_t d = 0; d < n; d += kHalfLanes) vst1q_f16(acc + d, vmulq_f16(vld1q_f16(acc + d), a));
  }

  template <ElemType T>
  static void add_scaled(float16_t* acc, float p, RowRef v, int64_t n) {
    const float16x8_t pv = vdupq_n_f16(static_cast<float16_t>(p));
    for (int64_t d = 0; d < n; d += kHalfLanes)
      vst1q_f16(acc + d, vfmaq_f16(vld1q_f16(acc + d), pv, load8<T>(v, d, lanes_left(n, d, kHalfLanes))));
  }

  static void store_output(const float16_t* acc, float l, ElemType type, OutRow o, int64_t n) {
    kStoreO[static_cast<int>(type)](acc, l, o, n);
  }

  static void store_zeros(ElemType type, OutRow o, int64_t n) { kStoreZeros[static_cast<int>(type)](o, n); }

  template <ElemType T>
  static void store_o_as(const float16_t* acc, float l, OutRow o, int64_t n) {
    const float32x4_t lv = vdupq_n_f32(l);
    for (int64_t d = 0; d < n; d += Neon::kLanes)
      Neon::store_row<T>(o, d, lanes_left(n, d, Neon::kLanes), vdivq_f32(vcvt_f32_f16(vld1_f16(acc + d)), lv));
  }

  template <ElemType T>
  static void store_zeros_as(OutRow o, int64_t n) {
    for (int64_t d = 0; d < n; d += Neon::kLanes)
      Neon::store_row<T>(o, d, lanes_left(n, d, Neon::kLanes), Neon::zero());
  }

  using LoadQ = void (*)(RowRef, int64_t, float16_t*);
  using StoreO = void (*)(const float16_t*, float, OutRow, int64_t);
  using StoreZeros = void (*)(OutRow, int64_t);
  static constexpr LoadQ kLoadQ[kElemTypeCount] = {&load_q_as<ElemType::f32>, &load_q_as<ElemType::f16>,
                                                   &load_q_as<ElemType::bf16>};
  static constexpr StoreO kStoreO[kElemTypeCount] = {&store_o_as<ElemType::f32>, &store_o_as<ElemType::f16>,
                                                     &store_o_as<ElemType::bf16>};
  static constexpr StoreZeros kStoreZeros[kElemTypeCount] = {
      &store_zeros_as<ElemType::f32>, &store_zeros_as<ElemType::f16>, &store_zeros_as<ElemType::bf16>};
};

}  // namespace

void neon_fp16_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, __fp16* q_row, __fp16* acc) {
  FlashKernel<Neon, Fp16Rows>::run(a, begin, end, q_row, acc);
}

}  // namespace flashcheck::cpu_simd
