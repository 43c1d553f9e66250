#include "impls/models/common/half_bits.hpp"

#include <bit>

namespace flashcheck::models {
namespace {

constexpr uint32_t kF32SignBit = 0x80000000u;
constexpr uint32_t kF32ExpMask = 0x7f800000u;
constexpr uint32_t kF32Mantissa = 0x007fffffu;

// Shifts `value` right by `shift` bits, rounding to nearest even on the dropped bits.
uint32_t shift_right_rne(uint32_t value, uint32_t shift) {
  if (shift == 0) return value;
  if (shift > 31) return 0;
  const uint32_t kept = value >> shift;
  const uint32_t dropped = value & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (dropped > half || (dropped == half && (kept & 1u))) return kept + 1u;
  return kept;
}

}  // namespace

float f16_bits_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | kF32ExpMask | (mantissa << 13));  // inf / NaN
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  if (mantissa == 0) return std::bit_cast<float>(sign);  // +-0
  // Subnormal f16: normalise into an f32 exponent (always normal in f32).
  uint32_t e = 113;  // 2^-14 is the exponent of the subnormal range, biased for f32
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --e;
  }
  return std::bit_cast<float>(sign | (e << 23) | ((mantissa & 0x3ffu) << 13));
}

uint16_t float_to_f16_bits(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const auto sign = static_cast<uint16_t>((u & kF32SignBit) >> 16);
  const uint32_t exponent = (u & kF32ExpMask) >> 23;
  const uint32_t mantissa = u & kF32Mantissa;
  if (exponent == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mantissa ? 0x200u : 0u));
  // The value is 1.m * 2^(exponent - 127). f16 normals reach down to 2^-14.
  const int unbiased = static_cast<int>(exponent) - 127;
  if (unbiased >= 16) return static_cast<uint16_t>(sign | 0x7c00u);  // beyond the largest binade: inf
  if (unbiased >= -14) {
    // Normal range: keep 10 mantissa bits; a carry may bump the exponent (up to inf).
    const uint32_t significand = (1u << 23) | mantissa;
    const uint32_t rounded = shift_right_rne(significand, 13);  // 11 or 12 bits
    const uint32_t biased = static_cast<uint32_t>(unbiased + 15);
    const uint32_t combined = (biased << 10) + (rounded - (1u << 10));  // carry flows into the exponent
    if (combined >= 0x7c00u) return static_cast<uint16_t>(sign | 0x7c00u);
    return static_cast<uint16_t>(sign | combined);
  }
  if (exponent == 0) return sign;  // f32 subnormals are far below half the smallest f16 subnormal
  // Subnormal f16: units of 2^-24. The significand is in units of 2^(unbiased - 23).
  const uint32_t significand = (1u << 23) | mantissa;
  const int shift = 13 + (-14 - unbiased);
  const uint32_t rounded = shift_right_rne(significand, static_cast<uint32_t>(shift));
  return static_cast<uint16_t>(sign | rounded);  // rounding up to 0x400 is the smallest normal, as it should be
}

float round_to_f16(float x) { return f16_bits_to_float(float_to_f16_bits(x)); }

float bf16_bits_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t float_to_bf16_bits(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & kF32ExpMask) == kF32ExpMask && (u & kF32Mantissa) != 0)
    return static_cast<uint16_t>((u >> 16) | 0x40u);  // keep NaN a NaN
  // Adding 0x7fff plus the kept lowest bit rounds to nearest even; overflow carries to inf.
  const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

}  // namespace flashcheck::models
