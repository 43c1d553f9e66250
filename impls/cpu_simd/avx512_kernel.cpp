// cpu-avx512: the flash-attention loop on 16-lane AVX-512 vectors (F for the
// arithmetic, BW/VL for masked 16-bit loads and stores, DQ for the 256-bit halves),
// with masked loads for row tails. Compiled with the AVX-512 flags for this file
// alone; everything but the x86_kernels.hpp entry points has internal linkage.
// GCC 12's AVX-512 intrinsics start from `__m512i __Y = __Y;` (_mm512_undefined_*), which
// -Wuninitialized reports wherever they are inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "impls/cpu_simd/f32_rows.hpp"
#include "impls/cpu_simd/flash_kernel.hpp"
#include "impls/cpu_simd/vector_math.hpp"
#include "impls/cpu_simd/x86_kernels.hpp"

namespace flashcheck::cpu_simd {
namespace {

struct Avx512 {
  static constexpr int64_t kLanes = 16;
  using F = __m512;
  using I = __m512i;

  static F set1(float x) { return _mm512_set1_ps(x); }
  static F zero() { return _mm512_setzero_ps(); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F abs(F x) { return _mm512_abs_ps(x); }
  static F copy_sign(F magnitude, F sign) {
    const F sign_bit = _mm512_set1_ps(-0.0f);
    return _mm512_or_ps(_mm512_andnot_ps(sign_bit, magnitude), _mm512_and_ps(sign_bit, sign));
  }
  // max/min return their second operand when either is NaN: x goes second.
  static F clamp(F x, F lo, F hi) { return _mm512_min_ps(hi, _mm512_max_ps(lo, x)); }
  static F round_nearest(F x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static I to_int(F x) { return _mm512_cvtps_epi32(x); }
  static I half_floor(I n) { return _mm512_srai_epi32(n, 1); }
  static I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static F exp2i(I n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
  }
  static F select_less(F a, F b, F if_less, F otherwise) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), otherwise, if_less);
  }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static float first_lane(F v) { return _mm512_cvtss_f32(v); }

  // Horizontal reductions: 512 -> 256 -> 128 bits, then within the last register.
  static float reduce_max(F v) {
    const __m256 y = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps(y, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
  }
  static float reduce_add(F v) {
    const __m256 y = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps(y, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
  }

  static __mmask16 lane_mask(int64_t count) {
    return static_cast<__mmask16>(count >= kLanes ? 0xFFFFu : (1u << static_cast<unsigned>(count)) - 1u);
  }

  // f32 -> bf16 bits (one per 32-bit lane), round to nearest even; NaN stays a quiet NaN.
  static I to_bf16_lanes(F v) {
    const I bits = _mm512_castps_si512(v);
    const I odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    const I rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))), 16);
    const I quiet_nan = _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40));
    return _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), rounded, quiet_nan);
  }

  // Contiguous elements under a lane mask: masked-off lanes are neither read nor written.
  template <ElemType T>
  static F load_masked(const std::byte* p, __mmask16 mask) {
    if constexpr (T == ElemType::f32) {
      return _mm512_maskz_loadu_ps(mask, p);
    } else if constexpr (T == ElemType::f16) {
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
    } else {  // bf16 is the upper half of an f32
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, p)), 16));
    }
  }

  template <ElemType T>
  static void store_masked(std::byte* p, __mmask16 mask, F v) {
    if constexpr (T == ElemType::f32) {
      _mm512_mask_storeu_ps(p, mask, v);
    } else if constexpr (T == ElemType::f16) {
      _mm256_mask_storeu_epi16(p, mask, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    } else {
      _mm256_mask_storeu_epi16(p, mask, _mm512_cvtepi32_epi16(to_bf16_lanes(v)));
    }
  }

  static I gather_index(int64_t stride) {
    return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                              _mm512_set1_epi32(static_cast<int>(stride)));
  }

  template <ElemType T>
  static F load_row(RowRef r, int64_t d, int64_t count) {
    constexpr int64_t size = kElemBytes[static_cast<int>(T)];
    const std::byte* first = r.first + d * r.stride * size;
    const __mmask16 mask = lane_mask(count);
    if (r.stride == 1) return load_masked<T>(first, mask);
    if constexpr (T == ElemType::f32) {
      if (r.stride <= kMaxGatherStride) return _mm512_mask_i32gather_ps(zero(), mask, gather_index(r.stride), first, 4);
    }
    // Strided 16-bit elements: copied into a small buffer, then converted whole.
    alignas(64) std::byte staged[kLanes * size] = {};
    for (int64_t c = 0; c < count; ++c) __builtin_memcpy(staged + c * size, first + c * r.stride * size, size);
    return load_masked<T>(staged, mask);
  }

  template <ElemType T>
  static void store_row(OutRow r, int64_t d, int64_t count, F v) {
    constexpr int64_t size = kElemBytes[static_cast<int>(T)];
    std::byte* first = r.first + d * r.stride * size;
    const __mmask16 mask = lane_mask(count);
    if (r.stride == 1) return store_masked<T>(first, mask, v);
    if constexpr (T == ElemType::f32) {
      if (r.stride <= kMaxGatherStride) return _mm512_mask_i32scatter_ps(first, mask, gather_index(r.stride), v, 4);
    }
    alignas(64) std::byte staged[kLanes * size];
    store_masked<T>(staged, 0xFFFF, v);
    for (int64_t c = 0; c < count; ++c) __builtin_memcpy(first + c * r.stride * size, staged + c * size, size);
  }

  // The gather's 32-bit byte offsets (lane * stride * 4) must not overflow.
  static constexpr int64_t kMaxGatherStride = 0x7FFFFFFF / (4 * kLanes);
};

using Kernel = FlashKernel<Avx512, F32Rows<Avx512>>;

}  // namespace

void avx512_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc) {
  Kernel::run(a, begin, end, q_row, acc);
}

void avx512_exp(const float* x, float* y, int64_t n) { map_floats<Avx512, &exp_ps<Avx512>>(x, y, n); }
void avx512_tanh(const float* x, float* y, int64_t n) { map_floats<Avx512, &tanh_ps<Avx512>>(x, y, n); }

}  // namespace flashcheck::cpu_simd
