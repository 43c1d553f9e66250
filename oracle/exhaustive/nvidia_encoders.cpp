#include "oracle/exhaustive/nvidia_encoders.hpp"

#include <array>
#include <bit>

// Host code: the headers fall back to their portable C++ paths without __CUDACC__.
#include <cuda_fp4.h>
#include <cuda_fp6.h>
#include <cuda_fp8.h>

namespace flashcheck::exhaustive {

namespace {

using formats::NanPolicy;
using formats::Overflow;
using formats::Rounding;

template <__nv_saturation_t Saturation, __nv_fp8_interpretation_t Kind>
uint8_t to_fp8(float x) {
  return __nv_cvt_float_to_fp8(x, Saturation, Kind);
}
template <__nv_fp6_interpretation_t Kind, cudaRoundMode Mode>
uint8_t to_fp6(float x) {
  return __nv_cvt_float_to_fp6(x, Kind, Mode);
}
template <cudaRoundMode Mode>
uint8_t to_fp4(float x) {
  return __nv_cvt_float_to_fp4(x, __NV_E2M1, Mode);
}
template <__nv_saturation_t Saturation, cudaRoundMode Mode>
uint8_t to_e8m0(float x) {
  return __nv_cvt_float_to_e8m0(x, Saturation, Mode);
}

template <uint8_t (*Convert)(float)>
void convert_block(std::span<const uint32_t> inputs, std::span<uint8_t> codes) {
  for (size_t i = 0; i < inputs.size(); ++i) codes[i] = Convert(std::bit_cast<float>(inputs[i]));
}

template <uint8_t (*Convert)(float)>
constexpr NvidiaConversion conversion(std::string_view call, std::string_view format, formats::EncodePolicy policy,
                                      std::span<const Deviation> deviations) {
  return {call, format, policy, deviations, Convert, convert_block<Convert>};
}

constexpr formats::EncodePolicy kRnSat{Rounding::nearest_even, Overflow::saturate, NanPolicy::to_nan};
constexpr formats::EncodePolicy kRnNoSat{Rounding::nearest_even, Overflow::to_inf_or_nan, NanPolicy::to_nan};
// FP6 and FP4 have no NaN: the headers document NaN -> +MAXNORM, which is nan=to_max.
constexpr formats::EncodePolicy kRnMax{Rounding::nearest_even, Overflow::saturate, NanPolicy::to_max};
constexpr formats::EncodePolicy kRzMax{Rounding::toward_zero, Overflow::saturate, NanPolicy::to_max};
constexpr formats::EncodePolicy kRzSat{Rounding::toward_zero, Overflow::saturate, NanPolicy::to_nan};
constexpr formats::EncodePolicy kRzNoSat{Rounding::toward_zero, Overflow::to_inf_or_nan, NanPolicy::to_nan};
constexpr formats::EncodePolicy kRpSat{Rounding::toward_pos_inf, Overflow::saturate, NanPolicy::to_nan};
constexpr formats::EncodePolicy kRpNoSat{Rounding::toward_pos_inf, Overflow::to_inf_or_nan, NanPolicy::to_nan};

constexpr std::array<Deviation, 0> kNone{};
// E4M3 has two NaN codes, 0x7F and 0xFF; without saturation NVIDIA keeps the sign of an
// overflowing or infinite input in the NaN (a NaN input still gives 0x7F).
constexpr std::array kE4m3SignedNan{
    Deviation{InputClass::negative_number_to_nan, DeviationResult::fixed_code, 0xFF,
              "negative overflow and -inf give the negative NaN code 0xFF"},
};
// cuda_fp8.h: "Input number's absolute value is rounded to the closest power of two [...]
// smaller than [...] 2^-127 are then clipped to 2^-127": E8M0 encodes |x|, and zero
// becomes 2^-127 (code 0x00); OCP E8M0 has neither sign nor zero, so the oracle's
// policy sends both to its NaN policy.
constexpr std::array kE8m0Magnitude{
    Deviation{InputClass::positive_zero, DeviationResult::fixed_code, 0x00, "+0 clips to 2^-127"},
    Deviation{InputClass::negative_zero, DeviationResult::fixed_code, 0x00, "-0 clips to 2^-127"},
    Deviation{InputClass::negative_nonzero, DeviationResult::of_magnitude, 0, "negative x encodes |x|"},
};

const std::array kConversions{
    conversion<to_fp8<__NV_SATFINITE, __NV_E4M3>>("__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)", "fp8_e4m3", kRnSat, kNone),
    conversion<to_fp8<__NV_NOSAT, __NV_E4M3>>("__nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3)", "fp8_e4m3", kRnNoSat, kE4m3SignedNan),
    conversion<to_fp8<__NV_SATFINITE, __NV_E5M2>>("__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2)", "fp8_e5m2", kRnSat, kNone),
    conversion<to_fp8<__NV_NOSAT, __NV_E5M2>>("__nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2)", "fp8_e5m2", kRnNoSat, kNone),
    conversion<to_fp6<__NV_E2M3, cudaRoundNearest>>("__nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundNearest)", "fp6_e2m3", kRnMax, kNone),
    conversion<to_fp6<__NV_E2M3, cudaRoundZero>>("__nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundZero)", "fp6_e2m3", kRzMax, kNone),
    conversion<to_fp6<__NV_E3M2, cudaRoundNearest>>("__nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundNearest)", "fp6_e3m2", kRnMax, kNone),
    conversion<to_fp6<__NV_E3M2, cudaRoundZero>>("__nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundZero)", "fp6_e3m2", kRzMax, kNone),
    conversion<to_fp4<cudaRoundNearest>>("__nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundNearest)", "fp4_e2m1", kRnMax, kNone),
    conversion<to_fp4<cudaRoundZero>>("__nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundZero)", "fp4_e2m1", kRzMax, kNone),
    conversion<to_e8m0<__NV_SATFINITE, cudaRoundZero>>("__nv_cvt_float_to_e8m0(x, __NV_SATFINITE, cudaRoundZero)", "e8m0", kRzSat, kE8m0Magnitude),
    conversion<to_e8m0<__NV_NOSAT, cudaRoundZero>>("__nv_cvt_float_to_e8m0(x, __NV_NOSAT, cudaRoundZero)", "e8m0", kRzNoSat, kE8m0Magnitude),
    conversion<to_e8m0<__NV_SATFINITE, cudaRoundPosInf>>("__nv_cvt_float_to_e8m0(x, __NV_SATFINITE, cudaRoundPosInf)", "e8m0", kRpSat, kE8m0Magnitude),
    conversion<to_e8m0<__NV_NOSAT, cudaRoundPosInf>>("__nv_cvt_float_to_e8m0(x, __NV_NOSAT, cudaRoundPosInf)", "e8m0", kRpNoSat, kE8m0Magnitude),
};

}  // namespace

std::span<const NvidiaConversion> nvidia_conversions() { return kConversions; }

}  // namespace flashcheck::exhaustive
