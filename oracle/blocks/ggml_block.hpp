#pragma once
// ggml's reference block quantizers (quantize_row_q8_0_ref, quantize_row_q4_0_ref,
// quantize_row_mxfp4_ref) and dequantizers, reproduced operation by operation in f32
// arithmetic (this file is built without fast-math and without FMA contraction), so
// codes and scales are bit-identical to ggml's on the same libm. Inputs on which ggml's
// code has undefined behaviour are rejected or pinned: docs/formats.md.
#include <array>
#include <cstdint>
#include <span>

#include "oracle/blocks/block.hpp"

namespace flashcheck::blocks {

// ggml's kvalues_mxfp4: twice the E2M1 values, indexed by the E2M1 code.
inline constexpr std::array<int8_t, 16> kGgmlMxfp4Values{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// Each takes exactly 32 values. q8_0 and q4_0 reject NaN and infinities, mxfp4 rejects
// infinities (std::invalid_argument): ggml's float-to-int conversions are undefined there.
Block quantize_ggml_q8_0(std::span<const float> x);
Block quantize_ggml_q4_0(std::span<const float> x);
Block quantize_ggml_mxfp4(std::span<const float> x);

std::array<float, kBlockSize> dequantize_ggml_q8_0(const Block& b);
std::array<float, kBlockSize> dequantize_ggml_q4_0(const Block& b);
std::array<float, kBlockSize> dequantize_ggml_mxfp4(const Block& b);

// ggml's GGML_E8M0_TO_FP32_HALF: 2^(e - 128) as f32 (0xFF gives 2^127, not NaN).
float ggml_e8m0_to_fp32_half(uint8_t e);
// The E8M0 code quantize_row_mxfp4_ref derives from amax: floorf(log2f(amax)) - 2 + 127,
// 0 for amax = 0, and 0 where that float is negative (amax < 2^-125; undefined in ggml).
uint8_t ggml_mxfp4_scale_code(float amax);
// best_index_mxfp4: the first index i of kvalues_mxfp4 minimizing |kvalues[i] * d - x| in f32.
uint8_t ggml_mxfp4_best_index(float x, float d);

}  // namespace flashcheck::blocks
