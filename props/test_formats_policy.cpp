// Encode policies: names parse and print, formats reject policies they cannot
// honour with a clear message, and NaN, infinite and (for E8M0) non-positive inputs
// follow the chosen policy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "oracle/formats/element_codec.hpp"
#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::formats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The message of the std::invalid_argument that fn throws ("" when it does not throw).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(FormatPolicy, NamesRoundTrip) {
  for (Rounding r : {Rounding::nearest_even, Rounding::toward_zero, Rounding::toward_pos_inf, Rounding::toward_neg_inf,
                     Rounding::nearest_away})
    EXPECT_EQ(parse_rounding(name(r)), r) << name(r);
  for (Overflow o : {Overflow::saturate, Overflow::to_inf_or_nan}) EXPECT_EQ(parse_overflow(name(o)), o) << name(o);
  for (NanPolicy n : {NanPolicy::to_nan, NanPolicy::to_zero, NanPolicy::to_max})
    EXPECT_EQ(parse_nan_policy(name(n)), n) << name(n);
  EXPECT_EQ(name(Rounding::toward_pos_inf), "toward_pos_inf");
  EXPECT_EQ(parse_rounding("nearest"), std::nullopt);
  EXPECT_EQ(parse_overflow("clamp"), std::nullopt);
  EXPECT_EQ(parse_nan_policy(""), std::nullopt);
}

TEST(FormatPolicy, FormatLookup) {
  for (const ElementFormat& f : all_element_formats()) EXPECT_EQ(find_element_format(f.name), &f) << f.name;
  EXPECT_EQ(find_element_format("fp8_e4m3fnuz"), nullptr);
  const std::string message = error_of([] { (void)element_format("fp9"); });
  EXPECT_NE(message.find("fp9"), std::string::npos) << message;
  EXPECT_NE(message.find("fp8_e4m3"), std::string::npos) << message;
}

TEST(FormatPolicy, DefaultPolicyFitsEveryFormat) {
  for (const ElementFormat& f : all_element_formats()) {
    EXPECT_NO_THROW(check_policy(f, default_policy(f))) << f.name;
    EXPECT_NO_THROW((void)encode(f, 1.0, default_policy(f))) << f.name;
  }
}

TEST(FormatPolicy, UnfitPoliciesAreRejectedClearly) {
  const ElementFormat& fp4 = element_format("fp4_e2m1");
  const std::string overflow = error_of([&] {
    (void)encode(fp4, 1.0, {Rounding::nearest_even, Overflow::to_inf_or_nan, NanPolicy::to_zero});
  });
  EXPECT_NE(overflow.find("fp4_e2m1"), std::string::npos) << overflow;
  EXPECT_NE(overflow.find("saturate"), std::string::npos) << overflow;
  const std::string nan = error_of([&] { (void)encode(element_format("fp6_e3m2"), 1.0, EncodePolicy{}); });
  EXPECT_NE(nan.find("no NaN"), std::string::npos) << nan;
  const std::string zero = error_of([] {
    (void)encode(element_format("e8m0"), 1.0, {Rounding::nearest_even, Overflow::saturate, NanPolicy::to_zero});
  });
  EXPECT_NE(zero.find("no zero"), std::string::npos) << zero;
  EXPECT_NO_THROW(check_policy(element_format("fp8_e4m3"), {Rounding::toward_zero, Overflow::to_inf_or_nan}));
}

TEST(FormatPolicy, DecodeRejectsCodesWiderThanTheFormat) {
  const std::string message = error_of([] { (void)decode(element_format("fp4_e2m1"), 0x10); });
  EXPECT_NE(message.find("fp4_e2m1"), std::string::npos) << message;
  EXPECT_EQ(error_of([] { (void)decode(element_format("fp6_e2m3"), 0x40); }).empty(), false);
  EXPECT_NO_THROW((void)decode(element_format("fp6_e2m3"), 0x3F));
}

TEST(FormatPolicy, NanInputFollowsThePolicy) {
  for (const ElementFormat& f : all_element_formats())
    for (double nan : {kNaN, -kNaN}) {
      EncodePolicy p = default_policy(f);
      if (f.has_nan()) {
        p.nan = NanPolicy::to_nan;
        EXPECT_EQ(encode(f, nan, p), f.canonical_nan) << f.name;
        EXPECT_TRUE(std::isnan(decode(f, encode(f, nan, p)))) << f.name;
      }
      if (f.has_zero) {
        p.nan = NanPolicy::to_zero;
        EXPECT_EQ(encode(f, nan, p), 0) << f.name;
      }
      p.nan = NanPolicy::to_max;
      EXPECT_EQ(decode(f, encode(f, nan, p)), f.max_finite) << f.name;
    }
}

TEST(FormatPolicy, InfiniteInputIsExactNotRounded) {
  for (const ElementFormat& f : all_element_formats()) {
    EncodePolicy p = default_policy(f);
    for (Rounding r : {Rounding::nearest_even, Rounding::toward_zero, Rounding::toward_neg_inf}) {
      p.rounding = r;
      p.overflow = Overflow::saturate;
      EXPECT_EQ(decode(f, encode(f, kInf, p)), f.max_finite) << f.name << " " << name(r);
      if (f.is_signed) {
        EXPECT_EQ(decode(f, encode(f, -kInf, p)), -f.max_finite) << f.name << " " << name(r);
      }
      if (!f.has_inf && !f.has_nan()) continue;
      p.overflow = Overflow::to_inf_or_nan;
      const double up = decode(f, encode(f, kInf, p));
      if (f.has_inf) {
        EXPECT_EQ(up, kInf) << f.name << " " << name(r);
      } else {
        EXPECT_TRUE(std::isnan(up)) << f.name << " " << name(r);
      }
    }
  }
}

TEST(FormatPolicy, E8M0NonPositiveInputFollowsTheNanPolicy) {
  const ElementFormat& e8m0 = element_format("e8m0");
  for (double x : {0.0, -0.0, -1.0, -kInf, -0x1p-140}) {
    EXPECT_EQ(encode(e8m0, x, {Rounding::toward_pos_inf, Overflow::saturate, NanPolicy::to_nan}), 0xFF) << x;
    EXPECT_EQ(encode(e8m0, x, {Rounding::nearest_even, Overflow::saturate, NanPolicy::to_max}), 0xFE) << x;
  }
}

TEST(FormatPolicy, SignedZerosKeepTheirSign) {
  for (const ElementFormat& f : all_element_formats()) {
    if (!f.is_signed) continue;
    const EncodePolicy p = default_policy(f);
    EXPECT_EQ(encode(f, 0.0, p), 0) << f.name;
    EXPECT_EQ(encode(f, -0.0, p), f.sign_mask()) << f.name;
    EXPECT_TRUE(std::signbit(decode(f, f.sign_mask()))) << f.name;
    // Underflow to zero keeps the sign of the input, as IEEE 754 does.
    EXPECT_EQ(encode(f, -f.min_subnormal / 4, p), f.sign_mask()) << f.name;
  }
}

}  // namespace
}  // namespace flashcheck::formats
