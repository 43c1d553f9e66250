#pragma once
// The split-KV kernels' own storage conversions: f16 and bf16 bits to and from fp32,
// done with integer bit manipulation as a CPU kernel does, no wider arithmetic.
#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace flashcheck::splitkv {

float f16_bits_to_f32(uint16_t bits);
float bf16_bits_to_f32(uint16_t bits);
// Round to nearest even; overflow goes to infinity, NaN stays a (quiet) NaN.
uint16_t f32_to_f16_bits(float x);
uint16_t f32_to_bf16_bits(float x);

// Decodes n elements of `type` starting at first, `stride` elements apart, into out.
using RowDecoder = void (*)(const std::byte* first, int64_t stride, int64_t n, float* out);
RowDecoder row_decoder(DType type);
// One element of `type` at p.
float load_element(DType type, const std::byte* p);
// Rounds x into `type` and stores its bits at p.
void store_element(DType type, float x, std::byte* p);

}  // namespace flashcheck::splitkv
