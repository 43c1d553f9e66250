// OCP MX blocks: NaN and infinite inputs, element clamping, exact dequantization and the
// error bound (half an element ulp times the scale for every value that is not clamped).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "oracle/blocks/block.hpp"
#include "oracle/blocks/block_scheme.hpp"
#include "oracle/blocks/mx_block.hpp"
#include "oracle/formats/element_codec.hpp"

namespace flashcheck::blocks {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<const char*> kMxElements{"fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1"};

std::vector<double> block_with(std::initializer_list<std::pair<size_t, double>> values) {
  std::vector<double> x(kBlockSize, 0.0);
  for (const auto& [i, v] : values) x[i] = v;
  return x;
}

TEST(BlocksMx, NanMakesTheWholeBlockNan) {
  for (const char* name : kMxElements) {
    const MxConfig c = mx_config(name);
    const Block b = quantize_mx_block(c, block_with({{0, 1.0}, {7, kNaN}, {9, -3.0}}));
    EXPECT_EQ(b.scale, kScaleNanCode) << name;
    for (uint8_t code : b.codes) EXPECT_EQ(code, 0) << name;
    for (double v : dequantize_mx_block(*c.element, b)) EXPECT_TRUE(std::isnan(v)) << name;
  }
}

// Infinities stay out of amax; the element policy encodes them (saturate: +-max).
TEST(BlocksMx, InfinityTakesTheElementPolicy) {
  MxConfig c = mx_config("fp8_e5m2");
  const std::vector<double> x = block_with({{0, 1.0}, {1, kInf}, {2, -kInf}});
  Block b = quantize_mx_block(c, x);
  EXPECT_EQ(b.scale, 127 - 15);  // amax 1: X = 0 - 15
  EXPECT_EQ(b.codes[1], 0x7B);   // +57344
  EXPECT_EQ(b.codes[2], 0xFB);
  c.element_policy.overflow = formats::Overflow::to_inf_or_nan;
  b = quantize_mx_block(c, x);
  EXPECT_EQ(b.codes[1], 0x7C);
  EXPECT_EQ(b.codes[2], 0xFC);
  const auto v = dequantize_mx_block(*c.element, b);
  EXPECT_EQ(v[1], kInf);
  EXPECT_EQ(v[2], -kInf);
  EXPECT_EQ(v[0], 1.0);
  // A block of infinities alone has amax 0: X = -127.
  const Block only_inf = quantize_mx_block(mx_config("fp4_e2m1"), block_with({{4, -kInf}}));
  EXPECT_EQ(only_inf.scale, 0);
  EXPECT_EQ(only_inf.codes[4], 0xF);  // -6
}

// OCP's rule clamps values above max_elem * 2^X; ceil never does.
TEST(BlocksMx, ElementClampingUnderEachRule) {
  const std::vector<double> x = block_with({{0, 7.0}, {1, 1.0}});
  const MxConfig floor_rule = mx_config("fp4_e2m1", ScaleRule::ocp_floor);
  Block b = quantize_mx_block(floor_rule, x);
  EXPECT_EQ(b.scale, 127);     // X = floor(log2 7) - 2 = 0
  EXPECT_EQ(b.codes[0], 0x7);  // 7 clamps to 6
  EXPECT_EQ(b.codes[1], 0x2);  // 1
  const MxConfig ceil_rule = mx_config("fp4_e2m1", ScaleRule::ceil);
  b = quantize_mx_block(ceil_rule, x);
  EXPECT_EQ(b.scale, 128);     // X = 1
  EXPECT_EQ(b.codes[0], 0x6);  // 3.5: tie of 3 (0x5) and 4 (0x6), even code
  EXPECT_EQ(b.codes[1], 0x1);  // 0.5
  EXPECT_EQ(dequantize_mx_block(*ceil_rule.element, b)[0], 8.0);
  const MxConfig round_rule = mx_config("fp4_e2m1", ScaleRule::round);
  EXPECT_EQ(quantize_mx_block(round_rule, x).scale, 128);
}

TEST(BlocksMx, RejectsBadInput) {
  EXPECT_THROW((void)mx_config("e8m0"), std::invalid_argument);
  EXPECT_THROW((void)mx_config("fp16"), std::invalid_argument);
  const std::vector<double> short_block(31, 1.0);
  EXPECT_THROW((void)quantize_mx_block(mx_config("fp8_e4m3"), short_block), std::invalid_argument);
  MxConfig c = mx_config("fp4_e2m1");
  c.element_policy.overflow = formats::Overflow::to_inf_or_nan;  // FP4 has neither inf nor NaN
  EXPECT_THROW((void)quantize_mx_block(c, block_with({})), std::invalid_argument);
  Block wide;
  wide.codes[0] = 0x10;
  EXPECT_THROW((void)dequantize_mx_block(formats::element_format("fp4_e2m1"), wide), std::invalid_argument);
  EXPECT_THROW((void)quantize_row(block_scheme("mxfp8_e4m3"), std::vector<double>(33, 0.0)), std::invalid_argument);
}

// Spacing of the element grid at |y| (subnormal spacing below the smallest normal).
double element_ulp(const formats::ElementFormat& f, double y) {
  const int e = y == 0.0 ? f.grid.emin : std::max(std::ilogb(y), f.grid.emin);
  return std::ldexp(1.0, e - f.mant_bits);
}

// Random row of 32 values spread over `spread` binades around 2^base, with zeros.
std::vector<double> random_block() {
  const int base = *rc::gen::inRange(-160, 160);
  const int spread = *rc::gen::inRange(0, 40);
  std::vector<double> x(kBlockSize);
  for (double& v : x) {
    const int kind = *rc::gen::inRange(0, 10);
    if (kind == 0) {
      v = 0.0;
      continue;
    }
    const auto mantissa = *rc::gen::inRange<uint32_t>(0, 1u << 23);
    const double m = 1.0 + std::ldexp(static_cast<double>(mantissa), -23);
    v = std::ldexp(m, base - *rc::gen::inRange(0, spread + 1));
    if (*rc::gen::arbitrary<bool>()) v = -v;
  }
  return x;
}

TEST(BlocksMx, ErrorIsAtMostHalfAnElementUlpTimesTheScale) {
  const bool ok = rc::check("MX dequantization error bound", [] {
    const std::vector<double> x = random_block();
    const char* name = kMxElements[*rc::gen::inRange<size_t>(0, kMxElements.size())];
    const ScaleRule rule = all_scale_rules()[*rc::gen::inRange<size_t>(0, all_scale_rules().size())];
    const MxConfig c = mx_config(name, rule);
    const Block b = quantize_mx_block(c, x);
    RC_ASSERT(b.scale != kScaleNanCode);
    const int scale_exp = b.scale + kScaleExponentMin;
    const auto v = dequantize_mx_block(*c.element, b);
    for (size_t i = 0; i < x.size(); ++i) {
      const double y = std::ldexp(x[i], -scale_exp);  // exact: far from the double range's ends
      if (std::fabs(y) > c.element->max_finite) {
        // Only ocp_floor and round may clamp, and only when X did not clamp at -127.
        RC_ASSERT(rule != ScaleRule::ceil || scale_exp == kScaleExponentMax);
        RC_ASSERT(v[i] == std::copysign(c.element->max_finite, x[i]) * std::ldexp(1.0, scale_exp));
        continue;
      }
      const double bound = 0.5 * element_ulp(*c.element, y) * std::ldexp(1.0, scale_exp);
      if (!(std::fabs(v[i] - x[i]) <= bound))
        RC_FAIL(std::string(name) + "/" + std::string(blocks::name(rule)) + ": x = " + describe_value(x[i]) +
                " dequantizes to " + describe_value(v[i]) + ", bound " + describe_value(bound));
    }
  });
  EXPECT_TRUE(ok);
}

// Dequantization is exactly decode(code) * 2^X.
TEST(BlocksMx, DequantizationIsExactProduct) {
  const formats::ElementFormat& f = formats::element_format("fp6_e3m2");
  Block b;
  b.scale = 127 + 100;
  for (size_t i = 0; i < b.codes.size(); ++i) b.codes[i] = static_cast<uint8_t>(i * 2 + 1);
  const auto v = dequantize_mx_block(f, b);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], formats::decode(f, b.codes[i]) * 0x1p100);
  EXPECT_EQ(e8m0_scale_value(0), 0x1p-127);
  EXPECT_EQ(e8m0_scale_value(0xFE), 0x1p127);
  EXPECT_TRUE(std::isnan(e8m0_scale_value(0xFF)));
}

}  // namespace
}  // namespace flashcheck::blocks
