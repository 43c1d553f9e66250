// Shared-scale rules of MX blocks: every rule on amax = 0, subnormal amax, powers of
// two and the doubles just below and above them, the sqrt(2) threshold of `round`,
// and the irrational amax of rotated blocks (a * 2^(h/2) with h odd).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "oracle/blocks/block.hpp"
#include "oracle/blocks/mx_block.hpp"
#include "oracle/blocks/scale_rule.hpp"
#include "oracle/formats/element_format.hpp"

namespace flashcheck::blocks {
namespace {

double below(double x) { return std::nextafter(x, 0.0); }
double above(double x) { return std::nextafter(x, std::numeric_limits<double>::infinity()); }

struct ScaleCase {
  const char* element;
  double amax;
  int floor_x, round_x, ceil_x;  // expected X under ocp_floor, round, ceil (before clamping)
};

// fp4_e2m1: max 6 (emax 2). fp8_e4m3: max 448 (emax 8). fp6_e3m2: max 28 (emax 4).
// fp8_e5m2: max 57344 (emax 15). fp6_e2m3: max 7.5 (emax 2).
const std::vector<ScaleCase> kCases{
    {"fp4_e2m1", 1.0, -2, -2, -2},
    {"fp4_e2m1", 4.0, 0, 0, 0},         // power of two: 4 / 2^0 = 4 <= 6
    {"fp4_e2m1", 6.0, 0, 1, 0},         // log2 6 = 2.58 rounds to 3; 6 fits at X = 0
    {"fp4_e2m1", 7.0, 0, 1, 1},         // ocp_floor clamps 7 to 6; ceil moves up
    {"fp4_e2m1", below(8.0), 0, 1, 1},  // just below a power of two
    {"fp4_e2m1", 8.0, 1, 1, 1},
    {"fp4_e2m1", above(8.0), 1, 1, 1},   // just above: 8+ / 2 fits
    {"fp4_e2m1", below(4.0), -1, 0, 0},  // 3.99.. / 2^-1 = 7.99 > 6: ceil needs X = 0
    {"fp4_e2m1", 3.0, -1, 0, -1},        // 3 / 2^-1 = 6 fits exactly
    {"fp4_e2m1", above(3.0), -1, 0, 0},
    {"fp4_e2m1", 4.0 * 0x1.6a09e667f3bccp0, 0, 0, 0},  // just below 4 sqrt(2): round stays
    {"fp4_e2m1", 4.0 * 0x1.6a09e667f3bcdp0, 0, 1, 0},  // just above 4 sqrt(2): round goes up
    {"fp8_e4m3", 448.0, 0, 1, 0},
    {"fp8_e4m3", above(448.0), 0, 1, 1},
    {"fp8_e4m3", 256.0, 0, 0, 0},
    {"fp8_e4m3", below(256.0), -1, 0, 0},
    {"fp8_e5m2", 57344.0, 0, 1, 0},
    {"fp8_e5m2", above(57344.0), 0, 1, 1},
    {"fp6_e3m2", 28.0, 0, 1, 0},
    {"fp6_e3m2", 29.0, 0, 1, 1},
    {"fp6_e2m3", 7.5, 0, 1, 0},
    {"fp6_e2m3", 7.75, 0, 1, 1},
    {"fp4_e2m1", 0x1p-1074, -1076, -1076, -1076},    // smallest subnormal double: a power of two
    {"fp4_e2m1", 0x1.8p-1073, -1075, -1074, -1075},  // 3 * 2^-1074, subnormal; / 2^-1075 = 6 fits
    {"fp4_e2m1", 0x1p-149, -151, -151, -151},        // smallest subnormal float
    {"fp8_e4m3", 0x1p-130, -138, -138, -138},
};

TEST(BlocksScale, RulesOnHandValues) {
  for (const ScaleCase& c : kCases) {
    const formats::ElementFormat& f = formats::element_format(c.element);
    EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ocp_floor, f, c.amax), c.floor_x)
        << c.element << " " << describe_value(c.amax);
    EXPECT_EQ(shared_exponent_unclamped(ScaleRule::round, f, c.amax), c.round_x)
        << c.element << " " << describe_value(c.amax);
    EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ceil, f, c.amax), c.ceil_x)
        << c.element << " " << describe_value(c.amax);
  }
}

// The definitions restated on every double in a range of binades: floor and ceil
// against powers of two and max_elem, round against sqrt(2) (m^2 >= 2).
TEST(BlocksScale, RulesMatchTheirDefinitions) {
  for (const char* name : {"fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1"}) {
    const formats::ElementFormat& f = formats::element_format(name);
    const int emax = element_emax(f);
    for (int e = -1074; e < 1024; e += 7) {
      for (double m : {1.0, 1.25, 1.4142135, 1.4142136, 1.5, 1.75, 1.9999999}) {
        const double a = std::ldexp(m, e);
        if (a == 0.0 || std::isinf(a)) continue;
        const int fl = std::ilogb(a);
        const double mant = std::ldexp(a, -fl);
        EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ocp_floor, f, a), fl - emax) << name << describe_value(a);
        EXPECT_EQ(shared_exponent_unclamped(ScaleRule::round, f, a), fl + (mant * mant >= 2.0 ? 1 : 0) - emax)
            << name << describe_value(a);
        const int c = shared_exponent_unclamped(ScaleRule::ceil, f, a);
        EXPECT_LE(std::ldexp(a, -c), f.max_finite) << name << describe_value(a);
        EXPECT_GT(std::ldexp(a, -(c - 1)), f.max_finite) << name << describe_value(a);
      }
    }
  }
}

TEST(BlocksScale, HalfExponentIsExact) {
  // log2(a * 2^-2.5): a = 1 gives -2.5, a = 1.5 gives -1.92, a = 1.4 gives -2.01.
  EXPECT_EQ(floor_log2_scaled(1.0, -5), -3);
  EXPECT_EQ(floor_log2_scaled(1.5, -5), -2);
  EXPECT_EQ(floor_log2_scaled(1.4, -5), -3);
  EXPECT_EQ(floor_log2_scaled(0x1.6a09e667f3bccp0, 1), 0);  // just below sqrt(2) * sqrt(2) = 2
  EXPECT_EQ(floor_log2_scaled(0x1.6a09e667f3bcdp0, 1), 1);
  EXPECT_EQ(floor_log2_scaled(8.0, -4), 1);
  const formats::ElementFormat& f4 = formats::element_format("fp4_e2m1");
  // amax = 2^-2.5: round's tie (log2 = -2.5) goes up to -2; ceil: 2^-2.5 <= 6 * 2^-5.
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::round, f4, 1.0, -5), -4);
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ocp_floor, f4, 1.0, -5), -5);
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ceil, f4, 1.0, -5), -5);
  // amax = 8.5 * 2^-2.5 = 1.5026 exceeds 6 * 2^-2 = 1.5: ceil needs X = -1.
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ceil, f4, 8.5, -5), -1);
  // 8.48 * 2^-2.5 = 1.4991 <= 6 * 2^-2 = 1.5, the exact comparison 2 t^2 <= 36 decides.
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ceil, f4, 8.48, -5), -2);
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ceil, f4, 8.4852, -5), -2);
  // The bound: 1.5 * 2^2.5 = 8.48528...
  EXPECT_EQ(shared_exponent_unclamped(ScaleRule::ceil, f4, 8.4853, -5), -1);
}

TEST(BlocksScale, ZeroAndNonFiniteAmaxAreRejectedByTheRule) {
  const formats::ElementFormat& f = formats::element_format("fp8_e4m3");
  for (ScaleRule r : all_scale_rules()) {
    EXPECT_THROW((void)shared_exponent_unclamped(r, f, 0.0), std::invalid_argument);
    EXPECT_THROW((void)shared_exponent_unclamped(r, f, std::numeric_limits<double>::infinity()), std::invalid_argument);
  }
}

// amax = 0 in a block: every rule gives X = -127 (code 0x00) and zero elements that keep their sign.
TEST(BlocksScale, ZeroBlockUnderEveryRule) {
  for (ScaleRule r : all_scale_rules()) {
    for (const char* name : {"fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1"}) {
      const MxConfig c = mx_config(name, r);
      std::vector<double> x(kBlockSize, 0.0);
      x[3] = -0.0;
      const Block b = quantize_mx_block(c, x);
      EXPECT_EQ(b.scale, 0x00) << name << " " << blocks::name(r);
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_EQ(b.codes[i], i == 3 ? c.element->sign_mask() : 0) << name << " element " << i;
      for (double v : dequantize_mx_block(*c.element, b)) EXPECT_EQ(v, 0.0);
    }
  }
}

// Clamping to the E8M0 range: a subnormal amax gives X = -127, a huge one X = 127.
TEST(BlocksScale, ScaleExponentClampsToE8m0Range) {
  for (ScaleRule r : all_scale_rules()) {
    const MxConfig c = mx_config("fp8_e4m3", r);
    std::vector<double> x(kBlockSize, 0.0);
    x[0] = 0x1p-1074;
    x[1] = 0x1p-140;
    Block b = quantize_mx_block(c, x);
    EXPECT_EQ(b.scale, 0x00) << blocks::name(r);
    // 2^-140 / 2^-127 = 2^-13 is below E4M3's smallest subnormal 2^-9: it rounds to 0.
    EXPECT_EQ(b.codes[1], 0x00);
    x[1] = 0x1p-133;  // 2^-6 after scaling: E4M3's smallest normal, code 0x08
    b = quantize_mx_block(c, x);
    EXPECT_EQ(b.codes[1], 0x08) << blocks::name(r);
    std::fill(x.begin(), x.end(), 0.0);
    x[0] = 0x1p300;
    b = quantize_mx_block(c, x);
    EXPECT_EQ(b.scale, 0xFE) << blocks::name(r);
    EXPECT_EQ(b.codes[0], 0x7E);  // 2^300 / 2^127 saturates to 448
    EXPECT_EQ(dequantize_mx_block(*c.element, b)[0], 448.0 * 0x1p127);
  }
}

TEST(BlocksScale, NamesRoundTrip) {
  for (ScaleRule r : all_scale_rules()) EXPECT_EQ(parse_scale_rule(name(r)), r);
  EXPECT_EQ(parse_scale_rule("floor"), std::nullopt);
  EXPECT_EQ(name(ScaleRule::ocp_floor), "ocp_floor");
}

}  // namespace
}  // namespace flashcheck::blocks
