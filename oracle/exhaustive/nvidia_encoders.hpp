#pragma once
// NVIDIA's host-side float -> element conversions (cuda_fp8.h, cuda_fp6.h,
// cuda_fp4.h), each paired with the policy its documentation states and the input
// classes where it documents a result other than that policy's. Empty when the
// headers were not found at configure time (FLASHCHECK_CUDA_INCLUDE).
#include <cstdint>
#include <span>
#include <string_view>

#include "oracle/exhaustive/expectation.hpp"
#include "oracle/formats/encode_policy.hpp"

#ifndef FLASHCHECK_HAS_NVIDIA_ENCODERS
#define FLASHCHECK_HAS_NVIDIA_ENCODERS 0
#endif

namespace flashcheck::exhaustive {

struct NvidiaConversion {
  std::string_view call;  // the conversion as written in CUDA code
  std::string_view format;
  formats::EncodePolicy policy;
  std::span<const Deviation> deviations;
  uint8_t (*convert)(float);
  // The same over a block of f32 bit patterns, with the conversion inlined.
  void (*convert_block)(std::span<const uint32_t> inputs, std::span<uint8_t> codes);
};

#if FLASHCHECK_HAS_NVIDIA_ENCODERS
std::span<const NvidiaConversion> nvidia_conversions();
#else
inline std::span<const NvidiaConversion> nvidia_conversions() { return {}; }
#endif

// nullptr when no conversion implements that format and policy.
inline const NvidiaConversion* find_nvidia_conversion(std::string_view format, const formats::EncodePolicy& p) {
  for (const NvidiaConversion& c : nvidia_conversions())
    if (c.format == format && c.policy.rounding == p.rounding && c.policy.overflow == p.overflow &&
        c.policy.nan == p.nan)
      return &c;
  return nullptr;
}

}  // namespace flashcheck::exhaustive
