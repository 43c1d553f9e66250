#pragma once
// The f32 vector primitives of AArch64 Advanced SIMD (4 lanes) that the shared
// kernel templates are written over (vector_math.hpp, f32_rows.hpp, flash_kernel.hpp).
// The anonymous namespace is deliberate: the fp32 and fp16 kernel files are built for
// different -march levels and must each keep their own copy of these functions.
#include <arm_neon.h>

#include <cstdint>

#include "impls/cpu_simd/kernel_args.hpp"

namespace flashcheck::cpu_simd {
namespace {

struct Neon {
  static constexpr int64_t kLanes = 4;
  using F = float32x4_t;
  using I = int32x4_t;

  static F set1(float x) { return vdupq_n_f32(x); }
  static F zero() { return vdupq_n_f32(0.0f); }
  static F add(F a, F b) { return vaddq_f32(a, b); }
  static F sub(F a, F b) { return vsubq_f32(a, b); }
  static F mul(F a, F b) { return vmulq_f32(a, b); }
  static F div(F a, F b) { return vdivq_f32(a, b); }
  static F fma(F a, F b, F c) { return vfmaq_f32(c, a, b); }
  static F abs(F x) { return vabsq_f32(x); }
  static F copy_sign(F magnitude, F sign) {
    return vbslq_f32(vdupq_n_u32(0x80000000u), sign, magnitude);  // sign bit from sign, the rest from magnitude
  }
  static F clamp(F x, F lo, F hi) { return vminq_f32(vmaxq_f32(x, lo), hi); }  // FMAX/FMIN propagate NaN
  static F round_nearest(F x) { return vrndnq_f32(x); }
  static I to_int(F x) { return vcvtq_s32_f32(x); }
  static I half_floor(I n) { return vshrq_n_s32(n, 1); }
  static I isub(I a, I b) { return vsubq_s32(a, b); }
  static F exp2i(I n) { return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23)); }
  static F select_less(F a, F b, F if_less, F otherwise) { return vbslq_f32(vcltq_f32(a, b), if_less, otherwise); }
  static F load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, F v) { vst1q_f32(p, v); }
  static float first_lane(F v) { return vgetq_lane_f32(v, 0); }
  // Horizontal reductions across the four lanes (FMAXV, FADDP).
  static float reduce_max(F v) { return vmaxvq_f32(v); }
  static float reduce_add(F v) { return vaddvq_f32(v); }

  // Four contiguous elements of storage type T, widened to f32.
  template <ElemType T>
  static F load4(const std::byte* p) {
    if constexpr (T == ElemType::f32) {
      return vld1q_f32(reinterpret_cast<const float*>(p));
    } else if constexpr (T == ElemType::f16) {
      return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p))));
    } else {  // bf16 is the upper half of an f32
      return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p)), 16));
    }
  }

  // f32 -> bf16 bits, round to nearest even; NaN stays a quiet NaN.
  static uint16x4_t to_bf16(F v) {
    const uint32x4_t bits = vreinterpretq_u32_f32(v);
    const uint32x4_t odd = vandq_u32(vshrq_n_u32(bits, 16), vdupq_n_u32(1));
    const uint32x4_t rounded = vshrq_n_u32(vaddq_u32(bits, vaddq_u32(odd, vdupq_n_u32(0x7FFF))), 16);
    const uint32x4_t quiet_nan = vorrq_u32(vshrq_n_u32(bits, 16), vdupq_n_u32(0x40));
    const uint32x4_t is_number = vceqq_f32(v, v);
    return vmovn_u32(vbslq_u32(is_number, rounded, quiet_nan));
  }

  template <ElemType T>
  static void store4(std::byte* p, F v) {
    if constexpr (T == ElemType::f32) {
      vst1q_f32(reinterpret_cast<float*>(p), v);
    } else if constexpr (T == ElemType::f16) {
      vst1_u16(reinterpret_cast<uint16_t*>(p), vreinterpret_u16_f16(vcvt_f16_f32(v)));  // FCVTN: nearest even
    } else {
      vst1_u16(reinterpret_cast<uint16_t*>(p), to_bf16(v));
    }
  }

  // Partial or strided rows go through a small zeroed buffer, converted whole.
  template <ElemType T>
  static F load_row(RowRef r, int64_t d, int64_t count) {
    constexpr int64_t size = kElemBytes[static_cast<int>(T)];
    const std::byte* first = r.first + d * r.stride * size;
    if (r.stride == 1 && count == kLanes) return load4<T>(first);
    alignas(16) std::byte staged[kLanes * size] = {};
    for (int64_t c = 0; c < count; ++c) __builtin_memcpy(staged + c * size, first + c * r.stride * size, size);
    return load4<T>(staged);
  }

  template <ElemType T>
  static void store_row(OutRow r, int64_t d, int64_t count, F v) {
    constexpr int64_t size = kElemBytes[static_cast<int>(T)];
    std::byte* first = r.first + d * r.stride * size;
    if (r.stride == 1 && count == kLanes) return store4<T>(first, v);
    alignas(16) std::byte staged[kLanes * size];
    store4<T>(staged, v);
    for (int64_t c = 0; c < count; ++c) __builtin_memcpy(first + c * r.stride * size, staged + c * size, size);
  }
};

}  // namespace
}  // namespace flashcheck::cpu_simd
