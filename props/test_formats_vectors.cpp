// Hand-derived test vectors for every element format (the same table is in
// docs/formats.md): limits, ties at the overflow threshold and at the smallest
// subnormal, E8M0 rounding to a power of two, and decode of the special codes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "oracle/formats/element_codec.hpp"
#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::formats {
namespace {

std::string show(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", x, x);
  return buf;
}

std::string show_code(unsigned c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02X", c);
  return buf;
}

constexpr auto RNE = Rounding::nearest_even;
constexpr auto RZ = Rounding::toward_zero;
constexpr auto RU = Rounding::toward_pos_inf;
constexpr auto RD = Rounding::toward_neg_inf;
constexpr auto RNA = Rounding::nearest_away;
constexpr auto SAT = Overflow::saturate;
constexpr auto INF = Overflow::to_inf_or_nan;

struct EncodeVector {
  std::string_view format;
  double x;
  Rounding rounding;
  Overflow overflow;
  unsigned want;
};

// Expected codes worked out from the format definitions (docs/formats.md, "Test vectors").
constexpr EncodeVector kEncodeVectors[] = {
    // E4M3: 448 = 0x7E is the max; 464 is the midpoint of 448 (even significand 1.110)
    // and the unrepresentable 480, so nearest-even keeps 448 and only > 464 overflows.
    {"fp8_e4m3", 448.0, RNE, INF, 0x7E},
    {"fp8_e4m3", 464.0, RNE, SAT, 0x7E},
    {"fp8_e4m3", 464.0, RNE, INF, 0x7E},
    {"fp8_e4m3", 464.0, RNA, SAT, 0x7E},
    {"fp8_e4m3", 464.0, RNA, INF, 0x7F},
    {"fp8_e4m3", 0x1.d000000000001p8, RNE, INF, 0x7F},  // one double ulp above 464
    {"fp8_e4m3", 0x1.cffffffffffffp8, RNE, INF, 0x7E},
    {"fp8_e4m3", 465.0, RNE, SAT, 0x7E},
    {"fp8_e4m3", 479.0, RZ, INF, 0x7E},
    {"fp8_e4m3", 1e6, RZ, INF, 0x7E},
    {"fp8_e4m3", 448.5, RU, INF, 0x7F},
    {"fp8_e4m3", 448.5, RU, SAT, 0x7E},
    {"fp8_e4m3", -448.5, RU, INF, 0xFE},
    {"fp8_e4m3", -448.5, RD, INF, 0x7F},
    {"fp8_e4m3", -464.0, RNE, INF, 0xFE},
    // E4M3 subnormals: 2^-9 = 0x01 is the smallest, 2^-10 the tie with zero.
    {"fp8_e4m3", 0x1p-9, RNE, SAT, 0x01},
    {"fp8_e4m3", 0x1p-10, RNE, SAT, 0x00},
    {"fp8_e4m3", 0x1p-10, RNA, SAT, 0x01},
    {"fp8_e4m3", 0x1p-10, RU, SAT, 0x01},
    {"fp8_e4m3", -0x1p-10, RNE, SAT, 0x80},
    {"fp8_e4m3", -0x1p-10, RD, SAT, 0x81},
    {"fp8_e4m3", 0x1.0000000000001p-10, RNE, SAT, 0x01},
    {"fp8_e4m3", 0x3p-10, RNE, SAT, 0x02},  // tie of 2^-9 (odd) and 2^-8 (even)
    {"fp8_e4m3", 1.0, RNE, SAT, 0x38},
    {"fp8_e4m3", 0x1.000002p0, RU, SAT, 0x39},  // a float one ulp above 1
    {"fp8_e4m3", 0x1.000002p0, RNE, SAT, 0x38},
    // E5M2: 57344 = 0x7B is the max; 61440 is the tie with 65536 (even), so it overflows.
    {"fp8_e5m2", 57344.0, RNE, INF, 0x7B},
    {"fp8_e5m2", 61440.0, RNE, SAT, 0x7B},
    {"fp8_e5m2", 61440.0, RNE, INF, 0x7C},
    {"fp8_e5m2", -61440.0, RNE, INF, 0xFC},
    {"fp8_e5m2", 0x1.dffffffffffffp15, RNE, INF, 0x7B},
    {"fp8_e5m2", 65536.0, RZ, INF, 0x7B},
    {"fp8_e5m2", 57345.0, RU, INF, 0x7C},
    {"fp8_e5m2", 57345.0, RD, INF, 0x7B},
    {"fp8_e5m2", 0x1p-17, RNE, SAT, 0x00},
    {"fp8_e5m2", 0x1p-17, RNA, SAT, 0x01},
    // FP6 E2M3: 0.125 = 0x01 is the smallest subnormal, 0.1875 the tie of 0x01 and 0x02.
    {"fp6_e2m3", 0.1875, RNE, SAT, 0x02},
    {"fp6_e2m3", 0.1875, RZ, SAT, 0x01},
    {"fp6_e2m3", 0.0625, RNE, SAT, 0x00},
    {"fp6_e2m3", 7.5, RNE, SAT, 0x1F},
    {"fp6_e2m3", 7.75, RNE, SAT, 0x1F},
    {"fp6_e2m3", -100.0, RNE, SAT, 0x3F},
    // FP6 E3M2: max 28 = 0x1F, smallest subnormal 0.0625 = 0x01.
    {"fp6_e3m2", 28.0, RNE, SAT, 0x1F},
    {"fp6_e3m2", 30.0, RNE, SAT, 0x1F},
    {"fp6_e3m2", 0.0625, RNE, SAT, 0x01},
    {"fp6_e3m2", 0.09375, RNE, SAT, 0x02},  // tie of 0.0625 (odd) and 0.125 (even)
    // FP4 E2M1: values 0, 0.5, 1, 1.5, 2, 3, 4, 6.
    {"fp4_e2m1", 0.0625, RNE, SAT, 0x0},
    {"fp4_e2m1", 0.0625, RU, SAT, 0x1},
    {"fp4_e2m1", 0.25, RNE, SAT, 0x0},
    {"fp4_e2m1", 0.25, RNA, SAT, 0x1},
    {"fp4_e2m1", 0.75, RNE, SAT, 0x2},
    {"fp4_e2m1", 1.25, RNE, SAT, 0x2},
    {"fp4_e2m1", 2.5, RNE, SAT, 0x4},
    {"fp4_e2m1", 5.0, RNE, SAT, 0x6},
    {"fp4_e2m1", 5.0, RNA, SAT, 0x7},
    {"fp4_e2m1", 7.0, RNE, SAT, 0x7},
    {"fp4_e2m1", -6.5, RNE, SAT, 0xF},
    {"fp4_e2m1", -0.0, RNE, SAT, 0x8},
    // E8M0: powers of two 2^-127 (0x00) .. 2^127 (0xFE); ties go to the even code.
    {"e8m0", 1.0, RNE, SAT, 0x7F},
    {"e8m0", 1.5, RZ, SAT, 0x7F},
    {"e8m0", 1.5, RU, SAT, 0x80},
    {"e8m0", 1.5, RNE, SAT, 0x80},
    {"e8m0", 1.5, RNA, SAT, 0x80},
    {"e8m0", 3.0, RZ, SAT, 0x80},
    {"e8m0", 3.0, RU, SAT, 0x81},
    {"e8m0", 3.0, RNE, SAT, 0x80},
    {"e8m0", 3.0, RNA, SAT, 0x81},
    {"e8m0", 1.4, RNE, SAT, 0x7F},
    {"e8m0", 1.6, RNE, SAT, 0x80},
    {"e8m0", 0x1p127, RNE, INF, 0xFE},
    {"e8m0", 0x1.8p127, RNE, INF, 0xFE},
    {"e8m0", 0x1.8p127, RNA, INF, 0xFF},
    {"e8m0", 0x1p128, RNE, SAT, 0xFE},
    {"e8m0", 0x1p128, RNE, INF, 0xFF},
    {"e8m0", 0x1p-127, RZ, SAT, 0x00},
    {"e8m0", 0x1p-130, RZ, SAT, 0x00},
};

TEST(FormatVectors, EncodeVectors) {
  for (const EncodeVector& v : kEncodeVectors) {
    const ElementFormat& f = element_format(v.format);
    EncodePolicy p = default_policy(f);
    p.rounding = v.rounding;
    p.overflow = v.overflow;
    const unsigned got = encode(f, v.x, p);
    EXPECT_EQ(got, v.want) << f.name << " encode(" << show(v.x) << ") under " << name(v.rounding) << "/"
                           << name(v.overflow) << " = " << show_code(got) << " [" << show(decode(f, uint8_t(got)))
                           << "], want " << show_code(v.want) << " [" << show(decode(f, uint8_t(v.want))) << "]";
  }
}

struct DecodeVector {
  std::string_view format;
  unsigned code;
  double want;  // NaN: the code is a NaN
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr DecodeVector kDecodeVectors[] = {
    {"fp8_e4m3", 0x7E, 448.0},   {"fp8_e4m3", 0x7F, kNaN},    {"fp8_e4m3", 0xFF, kNaN},
    {"fp8_e4m3", 0x01, 0x1p-9},  {"fp8_e4m3", 0x08, 0x1p-6},  {"fp8_e4m3", 0x80, -0.0},
    {"fp8_e4m3", 0x78, 256.0},   {"fp8_e4m3", 0xFE, -448.0},  {"fp8_e5m2", 0x7B, 57344.0},
    {"fp8_e5m2", 0x7C, kInf},    {"fp8_e5m2", 0xFC, -kInf},   {"fp8_e5m2", 0x7D, kNaN},
    {"fp8_e5m2", 0xFF, kNaN},    {"fp8_e5m2", 0x01, 0x1p-16}, {"fp8_e5m2", 0x04, 0x1p-14},
    {"fp6_e2m3", 0x1F, 7.5},     {"fp6_e2m3", 0x01, 0.125},   {"fp6_e2m3", 0x08, 1.0},
    {"fp6_e2m3", 0x3F, -7.5},    {"fp6_e3m2", 0x1F, 28.0},    {"fp6_e3m2", 0x01, 0.0625},
    {"fp6_e3m2", 0x04, 0.25},    {"fp4_e2m1", 0x1, 0.5},      {"fp4_e2m1", 0x2, 1.0},
    {"fp4_e2m1", 0x3, 1.5},      {"fp4_e2m1", 0x4, 2.0},      {"fp4_e2m1", 0x5, 3.0},
    {"fp4_e2m1", 0x6, 4.0},      {"fp4_e2m1", 0x7, 6.0},      {"fp4_e2m1", 0xF, -6.0},
    {"e8m0", 0x7F, 1.0},         {"e8m0", 0x00, 0x1p-127},    {"e8m0", 0xFE, 0x1p127},
    {"e8m0", 0xFF, kNaN},        {"e8m0", 0x80, 2.0},
};

TEST(FormatVectors, DecodeVectors) {
  for (const DecodeVector& v : kDecodeVectors) {
    const ElementFormat& f = element_format(v.format);
    const double got = decode(f, static_cast<uint8_t>(v.code));
    if (std::isnan(v.want)) {
      EXPECT_TRUE(std::isnan(got)) << f.name << " decode(" << show_code(v.code) << ") = " << show(got);
      EXPECT_TRUE(is_nan_code(f, static_cast<uint8_t>(v.code))) << f.name << " " << show_code(v.code);
    } else {
      EXPECT_TRUE(got == v.want && std::signbit(got) == std::signbit(v.want))
          << f.name << " decode(" << show_code(v.code) << ") = " << show(got) << ", want " << show(v.want);
    }
  }
}

}  // namespace
}  // namespace flashcheck::formats
