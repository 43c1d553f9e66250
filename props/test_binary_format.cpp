// BinaryFormat: round-to-nearest-even, the (hi, lo) tie-breaker, neighbours and ordinals.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/binary_format.hpp"
#include "core/dtype.hpp"

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Shows both decimal and hex on failure, so a last-bit difference is visible.
::testing::AssertionResult same_double(double got, double want) {
  if (std::bit_cast<uint64_t>(got) == std::bit_cast<uint64_t>(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << got << " (" << std::hexfloat << got << std::defaultfloat << ") want "
                                       << want << " (" << std::hexfloat << want << ")";
}

// The finite non-negative values of a 16-bit format, by bit pattern (bits are ordinals).
template <class Fn>
void for_each_positive_finite(uint16_t inf_bits, double (*decode)(uint16_t), Fn&& fn) {
  for (uint32_t h = 0; h < inf_bits; ++h) fn(static_cast<uint16_t>(h), decode(static_cast<uint16_t>(h)));
}

TEST(BinaryFormat, FormatConstants) {
  EXPECT_TRUE(same_double(kFormatF16.max_finite(), 65504.0));
  EXPECT_TRUE(same_double(kFormatF16.min_subnormal(), 0x1p-24));
  EXPECT_TRUE(same_double(kFormatBF16.max_finite(), 0x1.fep127));
  EXPECT_TRUE(same_double(kFormatBF16.min_subnormal(), 0x1p-133));
  EXPECT_TRUE(same_double(kFormatF32.max_finite(), static_cast<double>(std::numeric_limits<float>::max())));
  EXPECT_TRUE(same_double(kFormatF32.min_subnormal(), static_cast<double>(std::numeric_limits<float>::denorm_min())));
  EXPECT_TRUE(same_double(kFormatF16.ulp(1.0), 0x1p-10));
  EXPECT_TRUE(same_double(kFormatF16.ulp(0.0), 0x1p-24));
  EXPECT_TRUE(same_double(kFormatF16.ulp(0x1p-20), 0x1p-24));  // subnormal range: fixed quantum
  EXPECT_TRUE(same_double(kFormatBF16.ulp(-3.0), 0x1p-6));
}

TEST(BinaryFormat, TiesGoToEven) {
  struct Case {
    BinaryFormat f;
    double eps;  // ulp at 1
  };
  for (const Case& c : {Case{kFormatF16, 0x1p-10}, Case{kFormatBF16, 0x1p-7}, Case{kFormatF32, 0x1p-23}}) {
    const double h = c.eps / 2;
    EXPECT_TRUE(same_double(c.f.round_nearest_even(1.0 + h), 1.0));                    // even below
    EXPECT_TRUE(same_double(c.f.round_nearest_even(1.0 + 3 * h), 1.0 + 2 * c.eps));      // even above
    EXPECT_TRUE(same_double(c.f.round_nearest_even(-(1.0 + 3 * h)), -(1.0 + 2 * c.eps)));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(std::nextafter(1.0 + h, 2.0)), 1.0 + c.eps));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(std::nextafter(1.0 + 3 * h, 0.0)), 1.0 + c.eps));
    // The midpoint just below a power of two (2 - eps is odd, 2 is even).
    EXPECT_TRUE(same_double(c.f.round_nearest_even(2.0 - h), 2.0));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(std::nextafter(2.0 - h, 0.0)), 2.0 - c.eps));
  }
}

TEST(BinaryFormat, OverflowAtMaxPlusHalfUlp) {
  struct Case {
    BinaryFormat f;
    double half_ulp_at_max;
  };
  for (const Case& c : {Case{kFormatF16, 16.0}, Case{kFormatBF16, 0x1p119}, Case{kFormatF32, 0x1p103}}) {
    const double max = c.f.max_finite();
    const double boundary = max + c.half_ulp_at_max;  // ties to the even 2^(emax+1), i.e. overflows
    EXPECT_TRUE(same_double(c.f.round_nearest_even(boundary), kInf));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(-boundary), -kInf));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(std::nextafter(boundary, 0.0)), max));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(-std::nextafter(boundary, 0.0)), -max));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(1e300), kInf));
    EXPECT_TRUE(same_double(c.f.round_nearest_even(kInf), kInf));
    EXPECT_TRUE(std::isnan(c.f.round_nearest_even(std::numeric_limits<double>::quiet_NaN())));
  }
}

TEST(BinaryFormat, Subnormals) {
  const double s = kFormatF16.min_subnormal();
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(s / 2), 0.0));  // tie to even zero
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(-s / 2), -0.0));
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(std::nextafter(s / 2, 1.0)), s));
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(1.5 * s), 2 * s));
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(2.5 * s), 2 * s));
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(1e-30), 0.0));
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(-1e-30), -0.0));
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(0x1p-14 - s / 2), 0x1p-14));  // rounds up into the normals
  EXPECT_TRUE(same_double(kFormatF16.round_nearest_even(0x1.8p-20), 0x1.8p-20));    // representable subnormal
  const double fs = kFormatF32.min_subnormal();
  EXPECT_TRUE(same_double(kFormatF32.round_nearest_even(3.5 * fs), 4 * fs));
  EXPECT_TRUE(same_double(kFormatF32.round_nearest_even(0.5 * fs), 0.0));
  EXPECT_TRUE(same_double(kFormatBF16.round_nearest_even(0x1.8p-133), 0x1p-132));
}

TEST(BinaryFormat, HiLoDecidesMidpointTies) {
  const BinaryFormat& f = kFormatF16;
  const double tiny = 0x1p-60;
  // Midpoint with an even lower neighbour (1) and with an odd one (1 + 2^-10).
  EXPECT_TRUE(same_double(f.round_nearest_even(1.0 + 0x1p-11, 0.0), 1.0));
  EXPECT_TRUE(same_double(f.round_nearest_even(1.0 + 0x1p-11, tiny), 1.0 + 0x1p-10));
  EXPECT_TRUE(same_double(f.round_nearest_even(1.0 + 0x1p-11, -tiny), 1.0));
  EXPECT_TRUE(same_double(f.round_nearest_even(1.0 + 0x3p-11, -tiny), 1.0 + 0x1p-10));
  EXPECT_TRUE(same_double(f.round_nearest_even(1.0 + 0x3p-11, tiny), 1.0 + 0x1p-9));
  EXPECT_TRUE(same_double(f.round_nearest_even(-(1.0 + 0x1p-11), -tiny), -(1.0 + 0x1p-10)));
  EXPECT_TRUE(same_double(f.round_nearest_even(-(1.0 + 0x1p-11), tiny), -1.0));
  // Away from a midpoint lo cannot matter.
  EXPECT_TRUE(same_double(f.round_nearest_even(1.0 + 0x1p-12, 0x1p-53), 1.0));
  // The overflow midpoint: lo decides between the maximum and infinity.
  EXPECT_TRUE(same_double(f.round_nearest_even(65520.0, -tiny), 65504.0));
  EXPECT_TRUE(same_double(f.round_nearest_even(65520.0, tiny), kInf));
  EXPECT_TRUE(same_double(f.round_nearest_even(-65520.0, tiny), -65504.0));
  // Subnormal midpoint, and the one below a power of two.
  EXPECT_TRUE(same_double(f.round_nearest_even(0x1p-25, 0x1p-80), 0x1p-24));
  EXPECT_TRUE(same_double(f.round_nearest_even(2.0 - 0x1p-11, -tiny), 2.0 - 0x1p-10));
  EXPECT_TRUE(same_double(f.round_nearest_even(2.0 - 0x1p-11, tiny), 2.0));
  // A negative value that rounds to zero keeps its sign.
  EXPECT_TRUE(same_double(f.round_nearest_even(-0x1p-25, 0x1p-80), -0.0));
}

// Every midpoint of f16 and bf16: a nudge either way picks the neighbour on that side.
TEST(BinaryFormat, HiLoAtEveryMidpoint) {
  struct Case {
    BinaryFormat f;
    uint16_t inf_bits;
    double (*decode)(uint16_t);
  };
  for (const Case& c : {Case{kFormatF16, 0x7c00, f16_bits_to_double}, Case{kFormatBF16, 0x7f80, bf16_bits_to_double}}) {
    for_each_positive_finite(c.inf_bits, c.decode, [&](uint16_t h, double v) {
      const double next = c.f.next_up(v);
      const double upper = std::isinf(next) ? v + c.f.ulp(v) : next;
      const double mid = (v + upper) / 2;  // exact in double
      const double nudge = std::ldexp(1.0, std::ilogb(mid) - 60);
      ASSERT_TRUE(same_double(c.f.round_nearest_even(mid, nudge), next)) << "bits " << h;
      ASSERT_TRUE(same_double(c.f.round_nearest_even(mid, -nudge), v)) << "bits " << h;
      ASSERT_TRUE(same_double(c.f.round_nearest_even(-mid, nudge), -v)) << "bits " << h;
      const bool v_even = (h & 1u) == 0;
      ASSERT_TRUE(same_double(c.f.round_nearest_even(mid), v_even ? v : next)) << "bits " << h;
    });
  }
}

// Positive bit patterns of a binary format count its values upward: the ordinal is the bits.
TEST(BinaryFormat, OrdinalIsTheBitPatternForEvery16BitValue) {
  struct Case {
    BinaryFormat f;
    uint16_t inf_bits;
    double (*decode)(uint16_t);
  };
  for (const Case& c : {Case{kFormatF16, 0x7c00, f16_bits_to_double}, Case{kFormatBF16, 0x7f80, bf16_bits_to_double}}) {
    for_each_positive_finite(c.inf_bits, c.decode, [&](uint16_t h, double v) {
      ASSERT_EQ(ordinal(c.f, v), h);
      ASSERT_EQ(ordinal(c.f, -v), -int64_t{h});
      ASSERT_TRUE(same_double(c.f.next_up(v), c.decode(static_cast<uint16_t>(h + 1)))) << "bits " << h;
      if (h > 0) {
        ASSERT_TRUE(same_double(c.f.next_down(v), c.decode(static_cast<uint16_t>(h - 1)))) << "bits " << h;
      }
    });
    EXPECT_EQ(ordinal(c.f, kInf), c.inf_bits);
  }
}

TEST(BinaryFormat, OrdinalAcrossZeroAndBinades) {
  const BinaryFormat& f = kFormatF16;
  const double s = f.min_subnormal();
  EXPECT_EQ(ordinal(f, 0.0), 0);
  EXPECT_EQ(ordinal(f, -0.0), 0);
  EXPECT_EQ(ordinal(f, s) - ordinal(f, -s), 2);
  EXPECT_EQ(ordinal(f, 0x1p-14) - ordinal(f, 0x1p-14 - s), 1);  // subnormal -> normal
  EXPECT_EQ(ordinal(f, 1.0) - ordinal(f, 1.0 - 0x1p-11), 1);     // binade edge: spacing halves below
  EXPECT_EQ(ordinal(f, 2.0) - ordinal(f, 1.0), 1024);
  EXPECT_EQ(ordinal(f, 1.0) - ordinal(f, -1.0), 2 * 15360);
  EXPECT_EQ(ordinal(f, kInf) - ordinal(f, f.max_finite()), 1);
  EXPECT_TRUE(same_double(f.next_down(0.0), -s));
  EXPECT_TRUE(same_double(f.next_up(-s), -0.0));  // IEEE nextUp(-min subnormal) is -0
  EXPECT_TRUE(same_double(f.next_up(f.max_finite()), kInf));
  EXPECT_TRUE(same_double(kFormatF32.next_down(1.0), 1.0 - 0x1p-24));
  EXPECT_EQ(ordinal(kFormatF32, 2.0) - ordinal(kFormatF32, 1.0), int64_t{1} << 23);
}

// f32 against the hardware conversion and the float bit patterns.
RC_GTEST_PROP(BinaryFormat, F32RoundingMatchesHardwareConversion, (uint64_t bits)) {
  const double x = std::bit_cast<double>(bits);
  RC_PRE(std::isfinite(x) && std::fabs(x) < 0x1p127);  // the float cast of larger values is not portable C++
  const double want = static_cast<double>(static_cast<float>(x));
  const double got = kFormatF32.round_nearest_even(x);
  RC_ASSERT(std::bit_cast<uint64_t>(got) == std::bit_cast<uint64_t>(want));
}

RC_GTEST_PROP(BinaryFormat, F32OrdinalIsTheBitPattern, (uint32_t bits)) {
  const float x = std::bit_cast<float>(bits);
  RC_PRE(std::isfinite(x));
  const int64_t magnitude = bits & 0x7fffffffu;
  RC_ASSERT(ordinal(kFormatF32, x) == (std::signbit(x) ? -magnitude : magnitude));
}

// Rounding is monotone and idempotent, and never moves a value by more than half an ulp.
RC_GTEST_PROP(BinaryFormat, RoundingIsMonotoneAndNearest, (int exponent_seed, uint64_t mantissa, bool bf16)) {
  const BinaryFormat& f = bf16 ? kFormatBF16 : kFormatF16;
  const int e = std::abs(exponent_seed % 44) - 26;  // spans subnormals to past f16's range
  const double x = std::ldexp(1.0 + static_cast<double>(mantissa >> 12) * 0x1p-52, e);
  const double y = std::nextafter(x, kInf);
  const double rx = f.round_nearest_even(x);
  RC_ASSERT(rx <= f.round_nearest_even(y));
  RC_ASSERT(f.round_nearest_even(rx) == rx);
  if (std::isfinite(rx)) RC_ASSERT(std::fabs(rx - x) <= f.ulp(x) / 2);
}

}  // namespace
}  // namespace flashcheck
