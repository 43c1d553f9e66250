// cpu-avx2: the flash-attention loop on 8-lane AVX2 vectors with FMA, f16 storage
// converted by F16C. Compiled with -mavx2 -mfma -mf16c for this file alone; every
// function here has internal linkage except the entry points of x86_kernels.hpp.
#include <immintrin.h>

#include "impls/cpu_simd/f32_rows.hpp"
#include "impls/cpu_simd/flash_kernel.hpp"
#include "impls/cpu_simd/vector_math.hpp"
#include "impls/cpu_simd/x86_kernels.hpp"

namespace flashcheck::cpu_simd {
namespace {

struct Avx2 {
  static constexpr int64_t kLanes = 8;
  using F = __m256;
  using I = __m256i;

  static F set1(float x) { return _mm256_set1_ps(x); }
  static F zero() { return _mm256_setzero_ps(); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F abs(F x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
  static F copy_sign(F magnitude, F sign) {
    const F sign_bit = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign_bit, magnitude), _mm256_and_ps(sign_bit, sign));
  }
  // max/min return their second operand when either is NaN: x goes second.
  static F clamp(F x, F lo, F hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, x)); }
  static F round_nearest(F x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static I to_int(F x) { return _mm256_cvtps_epi32(x); }
  static I half_floor(I n) { return _mm256_srai_epi32(n, 1); }
  static I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static F exp2i(I n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  }
  static F select_less(F a, F b, F if_less, F otherwise) {
    return _mm256_blendv_ps(otherwise, if_less, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
  }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static float first_lane(F v) { return _mm256_cvtss_f32(v); }

  // Horizontal reductions: halves, then quarters, then the last pair.
  static float reduce_max(F v) {
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
  }
  static float reduce_add(F v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
  }

  // Lanes [0, count) all ones.
  static I lane_mask(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }

  // Eight contiguous elements of storage type T, widened to f32.
  template <ElemType T>
  static F load8(const std::byte* p) {
    if constexpr (T == ElemType::f32) {
      return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
    } else if constexpr (T == ElemType::f16) {
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else {  // bf16 is the upper half of an f32
      const __m128i halves = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(halves), 16));
    }
  }

  // f32 -> bf16 bits, round to nearest even; NaN stays a (quiet) NaN.
  static __m128i to_bf16(F v) {
    const I bits = _mm256_castps_si256(v);
    const I odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    const I rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFF))), 16);
    const I quiet_nan = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40));
    const I is_nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    const I halves = _mm256_blendv_epi8(rounded, quiet_nan, is_nan);
    // packus works within 128-bit lanes: gather quadwords 0 and 2 afterwards.
    const I packed = _mm256_packus_epi32(halves, halves);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x8));
  }

  template <ElemType T>
  static void store8(std::byte* p, F v) {
    if constexpr (T == ElemType::f32) {
      _mm256_storeu_ps(reinterpret_cast<float*>(p), v);
    } else if constexpr (T == ElemType::f16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), to_bf16(v));
    }
  }

  template <ElemType T>
  static F load_row(RowRef r, int64_t d, int64_t count) {
    constexpr int64_t size = kElemBytes[static_cast<int>(T)];
    const std::byte* first = r.first + d * r.stride * size;
    if (r.stride == 1 && count == kLanes) return load8<T>(first);
    if constexpr (T == ElemType::f32) {
      const auto* p = reinterpret_cast<const float*>(first);
      if (r.stride == 1) return _mm256_maskload_ps(p, lane_mask(count));
      if (r.stride <= kMaxGatherStride) {
        const I index = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                           _mm256_set1_epi32(static_cast<int>(r.stride)));
        return _mm256_mask_i32gather_ps(zero(), p, index, _mm256_castsi256_ps(lane_mask(count)), 4);
      }
    }
    // Otherwise the lanes are copied into a small zeroed buffer and converted whole.
    alignas(32) std::byte staged[kLanes * size] = {};
    for (int64_t c = 0; c < count; ++c) __builtin_memcpy(staged + c * size, first + c * r.stride * size, size);
    return load8<T>(staged);
  }

  template <ElemType T>
  static void store_row(OutRow r, int64_t d, int64_t count, F v) {
    constexpr int64_t size = kElemBytes[static_cast<int>(T)];
    std::byte* first = r.first + d * r.stride * size;
    if (r.stride == 1 && count == kLanes) return store8<T>(first, v);
    alignas(32) std::byte staged[kLanes * size];
    store8<T>(staged, v);
    for (int64_t c = 0; c < count; ++c) __builtin_memcpy(first + c * r.stride * size, staged + c * size, size);
  }

  // The gather's 32-bit byte offsets (lane * stride * 4) must not overflow.
  static constexpr int64_t kMaxGatherStride = 0x7FFFFFFF / (4 * kLanes);
};

using Kernel = FlashKernel<Avx2, F32Rows<Avx2>>;

}  // namespace

void avx2_attention_rows(const KernelArgs& a, int64_t begin, int64_t end, float* q_row, float* acc) {
  Kernel::run(a, begin, end, q_row, acc);
}

void avx2_exp(const float* x, float* y, int64_t n) { map_floats<Avx2, &exp_ps<Avx2>>(x, y, n); }
void avx2_tanh(const float* x, float* y, int64_t n) { map_floats<Avx2, &tanh_ps<Avx2>>(x, y, n); }

}  // namespace flashcheck::cpu_simd
