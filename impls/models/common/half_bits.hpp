#pragma once
// The 16-bit float conversions every model does itself, bit by bit, the way device code
// converts registers: f16 / bf16 bits <-> float, float -> 16 bits rounding to nearest even.
#include <cstdint>

namespace flashcheck::models {

float f16_bits_to_float(uint16_t bits);
// Round to nearest even; overflow gives +-inf, NaN stays a (quiet) NaN.
uint16_t float_to_f16_bits(float x);
// The f16 value nearest to x (ties to even), held in a float.
float round_to_f16(float x);

float bf16_bits_to_float(uint16_t bits);
uint16_t float_to_bf16_bits(float x);

inline constexpr float kF16Max = 65504.0f;

}  // namespace flashcheck::models
