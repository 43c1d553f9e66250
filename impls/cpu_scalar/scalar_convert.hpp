#pragma once
// Bit-level conversions a CPU kernel does itself (ggml's GGML_FP16_TO_FP32 and friends),
// written with integer operations only so they mean the same under every flag set.
#include <bit>
#include <cstdint>

#include "impls/cpu_scalar/build_namespace.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

inline constexpr uint32_t kF32MinusInfBits = 0xFF800000u;

// -inf built from its bits: the constant survives -ffinite-math-only unchanged.
inline float minus_infinity() { return std::bit_cast<float>(kF32MinusInfBits); }
// Whether x is -inf, decided on its bits (a compiler may fold x == -INFINITY away when
// it assumes finite math).
inline bool is_minus_infinity(float x) { return std::bit_cast<uint32_t>(x) == kF32MinusInfBits; }
inline float quiet_nan() { return std::bit_cast<float>(0x7FC00000u); }

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1Fu) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));  // inf, NaN
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in f32; the sign goes on by bits.
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
  return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
}

// Round to nearest even; overflow gives inf, NaN stays NaN (quiet).
inline uint16_t f32_to_f16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t a = x & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u);
  if (a >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520 rounds to inf
  if (a < 0x38800000u) {                                                // below 2^-14: f16 subnormal
    if (a <= 0x33000000u) return sign;                                  // <= 2^-25 rounds to 0
    // value = m * 2^(e - 150); in units of 2^-24 that is m >> (126 - e), rounded to even.
    const uint32_t e = a >> 23;
    const uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126u - e;  // 14 ..24
    const uint32_t kept = m >> shift;
    const uint32_t rest = m & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    const uint32_t rounded = kept + ((rest > half || (rest == half && (kept & 1u))) ? 1u : 0u);
    return static_cast<uint16_t>(sign | rounded);  // a carry into 0x400 is the smallest normal
  }
  const uint32_t rebased = a - 0x38000000u;  // exponent bias 127 -> 15
  const uint32_t rounded = (rebased + 0xFFFu + ((rebased >> 13) & 1u)) >> 13;
  return static_cast<uint16_t>(sign | rounded);
}

// bf16 is the upper half of an f32.
inline float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

inline uint16_t f32_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN stays quiet NaN
  return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
