// ggml's q8_0, q4_0 and mxfp4 reference quantizers: hand vectors for the scale, the
// element rounding, tie rules, nibble order and the inputs ggml leaves undefined.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "oracle/blocks/block_layout.hpp"
#include "oracle/blocks/block_scheme.hpp"
#include "oracle/blocks/ggml_block.hpp"

namespace flashcheck::blocks {
namespace {

std::vector<float> block_with(std::initializer_list<std::pair<size_t, float>> values) {
  std::vector<float> x(kBlockSize, 0.0f);
  for (const auto& [i, v] : values) x[i] = v;
  return x;
}

constexpr uint16_t kFp16One = 0x3C00;

TEST(BlocksGgml, Q8_0AmaxOf127GivesUnitScale) {
  std::vector<float> x(kBlockSize);
  for (size_t j = 0; j < x.size(); ++j) x[j] = static_cast<float>(j) * 4.0f - 60.0f;  // -60 .. 64
  x[31] = -127.0f;
  x[5] = 2.5f;  // roundf: half away from zero
  x[6] = -2.5f;
  x[7] = 0.49f;
  const Block b = quantize_ggml_q8_0(x);
  EXPECT_EQ(b.scale, kFp16One);
  EXPECT_EQ(b.codes[31], 0x81);  // -127
  EXPECT_EQ(static_cast<int8_t>(b.codes[5]), 3);
  EXPECT_EQ(static_cast<int8_t>(b.codes[6]), -3);
  EXPECT_EQ(b.codes[7], 0);
  EXPECT_EQ(static_cast<int8_t>(b.codes[0]), -60);
  const auto v = dequantize_ggml_q8_0(b);
  EXPECT_EQ(v[31], -127.0f);
  EXPECT_EQ(v[5], 3.0f);
}

TEST(BlocksGgml, Q8_0ScaleRoundsToFp16) {
  // d = 1/127 = 0.0078740157 in f32; fp16 (1 + 8/1024) * 2^-7 = 0x2008 (nearest even).
  const Block b = quantize_ggml_q8_0(block_with({{0, 1.0f}, {1, -0.5f}}));
  EXPECT_EQ(b.scale, 0x2008);
  EXPECT_EQ(static_cast<int8_t>(b.codes[0]), 127);  // 1 * (1/d) computed from the f32 d
  EXPECT_EQ(static_cast<int8_t>(b.codes[1]), -64);  // -63.5 rounds away from zero
  EXPECT_EQ(dequantize_ggml_q8_0(b)[0], 127.0f * 0x1.02p-7f);
  // All zeros: d = 0, id = 0, every code 0.
  const Block zero = quantize_ggml_q8_0(block_with({}));
  EXPECT_EQ(zero.scale, 0);
  for (uint8_t c : zero.codes) EXPECT_EQ(c, 0);
  // amax beyond 127 * 65504: the fp16 scale overflows to +inf, as in ggml.
  EXPECT_EQ(quantize_ggml_q8_0(block_with({{0, 1e7f}})).scale, 0x7C00);
}

TEST(BlocksGgml, Q4_0MaxOfMinus8GivesUnitScale) {
  const Block b = quantize_ggml_q4_0(block_with({{5, -8.0f}, {1, 7.0f}, {2, 0.4f}, {3, -0.6f}, {4, 0.5f}, {20, 7.6f}}));
  EXPECT_EQ(b.scale, kFp16One);  // d = -8 / -8
  EXPECT_EQ(b.codes[5], 0);      // -8 + 8.5 = 0.5 truncates to 0
  EXPECT_EQ(b.codes[1], 15);     // 15.5 -> 15
  EXPECT_EQ(b.codes[2], 8);      // 8.9 -> 8: the cast truncates
  EXPECT_EQ(b.codes[3], 7);      // 7.9 -> 7
  EXPECT_EQ(b.codes[4], 9);      // 9.0
  EXPECT_EQ(b.codes[20], 15);    // 16.1 -> 16, capped at 15
  EXPECT_EQ(b.codes[0], 8);      // zero
  const auto v = dequantize_ggml_q4_0(b);
  EXPECT_EQ(v[5], -8.0f);
  EXPECT_EQ(v[20], 7.0f);
  EXPECT_EQ(v[0], 0.0f);
}

TEST(BlocksGgml, Q4_0FirstLargestMagnitudeSetsTheSign) {
  // +4 comes first: max = 4, d = -0.5 (fp16 0xB800), so x = 4 maps to nibble 0.
  Block b = quantize_ggml_q4_0(block_with({{3, 4.0f}, {9, -4.0f}}));
  EXPECT_EQ(b.scale, 0xB800);
  EXPECT_EQ(b.codes[3], 0);
  EXPECT_EQ(b.codes[9], 15);  // -4 / -0.5 = 8 + 8.5 -> 16 -> 15: dequantizes to -3.5
  EXPECT_EQ(dequantize_ggml_q4_0(b)[9], -3.5f);
  b = quantize_ggml_q4_0(block_with({{3, -4.0f}, {9, 4.0f}}));
  EXPECT_EQ(b.scale, 0x3800);  // d = 0.5
}

TEST(BlocksGgml, Q4_0NibbleOrderSplitsHalves) {
  std::vector<float> x(kBlockSize, 0.0f);
  x[0] = -8.0f;  // d = 1
  for (size_t j = 1; j < kBlockSize; ++j) x[j] = static_cast<float>(static_cast<int>(j % 16) - 8);
  const Block b = quantize_ggml_q4_0(x);
  const std::vector<uint8_t> bytes = pack_row(block_scheme("ggml_q4_0"), std::vector<Block>{b});
  ASSERT_EQ(bytes.size(), 18u);
  EXPECT_EQ(bytes[0], 0x00);  // fp16 1.0 little-endian
  EXPECT_EQ(bytes[1], 0x3C);
  for (size_t j = 0; j < 16; ++j) {
    EXPECT_EQ(bytes[2 + j] & 0x0F, b.codes[j]) << j;     // element j: low nibble of byte j
    EXPECT_EQ(bytes[2 + j] >> 4, b.codes[j + 16]) << j;  // element j + 16: high nibble
  }
  EXPECT_EQ(bytes[2 + 3], 0x33);  // elements 3 and 19 both hold -5 -> nibble 3
}

TEST(BlocksGgml, Mxfp4ScaleAndElements) {
  // amax 6: floorf(log2f(6)) = 2, e = 2 - 2 + 127 = 127, d = 2^-1: kvalues * d are the E2M1 values.
  const Block b = quantize_ggml_mxfp4(block_with(
      {{0, 6.0f}, {1, 5.0f}, {2, -5.0f}, {3, 0.25f}, {4, -0.25f}, {5, 1.25f}, {6, 2.5f}, {7, -0.75f}, {8, 0.3f}}));
  EXPECT_EQ(b.scale, 127);
  EXPECT_EQ(b.codes[0], 7);   // 6
  EXPECT_EQ(b.codes[1], 6);   // 5: tie of 4 (index 6) and 6 (index 7), the first index wins
  EXPECT_EQ(b.codes[2], 14);  // -5: tie of -4 (index 14) and -6 (index 15) -> 14
  EXPECT_EQ(b.codes[3], 0);   // 0.25: tie of 0 and 0.5 -> index 0
  EXPECT_EQ(b.codes[4], 0);   // -0.25: +0 (index 0) beats -0 (8) and -0.5 (9)
  EXPECT_EQ(b.codes[5], 2);   // 1.25: tie of 1 and 1.5 -> 1 (OCP nearest-even would pick 1 too)
  EXPECT_EQ(b.codes[6], 4);   // 2.5 -> 2
  EXPECT_EQ(b.codes[7], 9);   // -0.75: tie of -0.5 (9) and -1 (10) -> 9 (OCP nearest-even: -1)
  EXPECT_EQ(b.codes[8], 1);   // 0.3 -> 0.5
  const auto v = dequantize_ggml_mxfp4(b);
  EXPECT_EQ(v[0], 6.0f);
  EXPECT_EQ(v[7], -0.5f);
}

TEST(BlocksGgml, Mxfp4ScaleEdgeCases) {
  EXPECT_EQ(ggml_mxfp4_scale_code(0.0f), 0);
  EXPECT_EQ(ggml_mxfp4_scale_code(1.0f), 125);
  EXPECT_EQ(ggml_mxfp4_scale_code(0x1p-124f), 1);
  EXPECT_EQ(ggml_mxfp4_scale_code(0x1p-125f), 0);
  EXPECT_EQ(ggml_mxfp4_scale_code(0x1p-126f), 0);  // -1 in ggml's float: undefined cast, pinned to 0
  EXPECT_EQ(ggml_mxfp4_scale_code(0x1p-149f), 0);
  // log2f(FLT_MAX) rounds to 128.0f: the largest code a finite amax reaches is 253.
  EXPECT_EQ(ggml_mxfp4_scale_code(std::numeric_limits<float>::max()), 253);
  // Just below 2^100, log2f rounds to 100.0f: ggml's code is 225 where the exact floor gives 224.
  EXPECT_EQ(ggml_mxfp4_scale_code(std::nextafter(0x1p100f, 0.0f)), 225);
  EXPECT_EQ(ggml_e8m0_to_fp32_half(0), 0x1p-128f);
  EXPECT_EQ(ggml_e8m0_to_fp32_half(1), 0x1p-127f);
  EXPECT_EQ(ggml_e8m0_to_fp32_half(127), 0.5f);
  EXPECT_EQ(ggml_e8m0_to_fp32_half(254), 0x1p126f);
  EXPECT_EQ(ggml_e8m0_to_fp32_half(255), 0x1p127f);  // ggml does not treat 0xFF as NaN
  // A NaN element never becomes amax and best_index_mxfp4 keeps index 0 for it.
  const Block b = quantize_ggml_mxfp4(block_with({{0, 3.0f}, {1, std::numeric_limits<float>::quiet_NaN()}}));
  EXPECT_EQ(b.scale, 126);
  EXPECT_EQ(b.codes[1], 0);
  EXPECT_EQ(b.codes[0], 7);  // 3 / 2^-2 = 12 -> index 7
}

TEST(BlocksGgml, UndefinedInputsAreRejected) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW((void)quantize_ggml_q8_0(block_with({{0, inf}})), std::invalid_argument);
  EXPECT_THROW((void)quantize_ggml_q8_0(block_with({{0, nan}})), std::invalid_argument);
  EXPECT_THROW((void)quantize_ggml_q4_0(block_with({{2, nan}})), std::invalid_argument);
  EXPECT_THROW((void)quantize_ggml_mxfp4(block_with({{2, -inf}})), std::invalid_argument);
  // A tiny nonzero amax overflows 1/d: ggml's int conversion of inf / NaN is undefined.
  EXPECT_THROW((void)quantize_ggml_q8_0(block_with({{0, 0x1p-140f}})), std::invalid_argument);
  EXPECT_THROW((void)quantize_ggml_q4_0(block_with({{0, 0x1p-140f}})), std::invalid_argument);
  EXPECT_NO_THROW((void)quantize_ggml_q8_0(block_with({{0, 0x1p-100f}})));
  // ggml schemes quantize f32 values and take no MX options.
  std::vector<double> row(kBlockSize, 0.0);
  row[0] = 0.1;  // not an f32
  EXPECT_THROW((void)quantize_row(block_scheme("ggml_q8_0"), row), std::invalid_argument);
  row[0] = 0.5;
  EXPECT_THROW((void)quantize_row(block_scheme("ggml_q8_0"), row, MxOptions{ScaleRule::ceil, {}}),
               std::invalid_argument);
  EXPECT_THROW((void)block_scheme("q8_1"), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck::blocks
