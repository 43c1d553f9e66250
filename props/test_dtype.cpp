// Storage dtypes: exhaustive 16-bit codec round trips, and agreement with an independent
// integer-only encoder (and with the F16C instruction where the CPU has it).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FLASHCHECK_TEST_F16C 1
#endif

namespace flashcheck {
namespace {

struct Bits16Format {
  int mant_bits, exp_bits;
};
constexpr Bits16Format kBitsF16{10, 5};
constexpr Bits16Format kBitsBF16{7, 8};

// Reference encoder working on the double's bits with integer arithmetic only; shares
// nothing with the library's (floating-point) implementation.
uint16_t reference_encode(Bits16Format f, double x) {
  const uint64_t b = std::bit_cast<uint64_t>(x);
  const auto sign = static_cast<uint16_t>((b >> 48) & 0x8000u);
  const int exp_field = static_cast<int>((b >> 52) & 0x7ffu);
  uint64_t mant = b & ((uint64_t{1} << 52) - 1);
  const int bias = (1 << (f.exp_bits - 1)) - 1;
  const uint32_t inf_bits = ((1u << f.exp_bits) - 1) << f.mant_bits;
  if (exp_field == 0x7ff) return static_cast<uint16_t>(sign | inf_bits | (mant ? 1u << (f.mant_bits - 1) : 0u));
  if (exp_field == 0) return sign;  // double subnormals lie far below half the smallest subnormal here
  mant |= uint64_t{1} << 52;        // value = mant * 2^(exp_field - 1075)
  const int e = exp_field - 1023;
  if (e > bias) return static_cast<uint16_t>(sign | inf_bits);
  const int emin = 1 - bias;
  const int quantum_exp = std::max(e, emin) - f.mant_bits;
  const int shift = quantum_exp - (exp_field - 1075);  // bits below the target quantum
  if (shift > 54) return sign;
  uint64_t q = mant >> shift;
  const uint64_t rest = mant & ((uint64_t{1} << shift) - 1);
  const uint64_t half = uint64_t{1} << (shift - 1);
  if (rest > half || (rest == half && (q & 1u))) ++q;
  // Subnormal quanta map to the bits directly; for normals a carry out of the significand
  // moves into the exponent field by itself, up to the infinity pattern.
  const uint64_t magnitude = e < emin ? q : (static_cast<uint64_t>(e - emin) << f.mant_bits) + q;
  return static_cast<uint16_t>(sign | std::min<uint64_t>(magnitude, inf_bits));
}

// Reference decoder from the IEEE definition.
double reference_decode(Bits16Format f, uint16_t h) {
  const int bias = (1 << (f.exp_bits - 1)) - 1;
  const uint32_t mant = h & ((1u << f.mant_bits) - 1);
  const uint32_t exp_field = (h >> f.mant_bits) & ((1u << f.exp_bits) - 1);
  const double sign = (h & 0x8000u) ? -1.0 : 1.0;
  if (exp_field == (1u << f.exp_bits) - 1)
    return mant ? std::numeric_limits<double>::quiet_NaN() : sign * std::numeric_limits<double>::infinity();
  if (exp_field == 0) return sign * std::ldexp(mant, 1 - bias - f.mant_bits);
  return sign * std::ldexp(static_cast<double>(mant | (1u << f.mant_bits)),
                           static_cast<int>(exp_field) - bias - f.mant_bits);
}

struct Codec {
  const char* name;
  Bits16Format bits;
  DType dtype;
  uint16_t (*encode)(double);
  double (*decode)(uint16_t);
};
const Codec kCodecs[] = {{"f16", kBitsF16, DType::f16, f16_bits_from_double, f16_bits_to_double},
                         {"bf16", kBitsBF16, DType::bf16, bf16_bits_from_double, bf16_bits_to_double}};

bool is_nan_bits(Bits16Format f, uint16_t h) {
  const uint32_t exp_mask = ((1u << f.exp_bits) - 1) << f.mant_bits;
  return (h & exp_mask) == exp_mask && (h & ((1u << f.mant_bits) - 1)) != 0;
}

TEST(DType, EveryBitPatternRoundTrips) {
  for (const Codec& c : kCodecs) {
    for (uint32_t i = 0; i <= 0xffff; ++i) {
      const auto h = static_cast<uint16_t>(i);
      const double v = c.decode(h);
      if (is_nan_bits(c.bits, h)) {
        ASSERT_TRUE(std::isnan(v)) << c.name << " bits " << std::hex << i;
        ASSERT_TRUE(is_nan_bits(c.bits, c.encode(v))) << c.name << " bits " << std::hex << i;
        continue;
      }
      const double want = reference_decode(c.bits, h);
      ASSERT_EQ(std::bit_cast<uint64_t>(v), std::bit_cast<uint64_t>(want))
          << c.name << " bits " << std::hex << i << " decoded " << std::hexfloat << v << " want " << want;
      ASSERT_EQ(c.encode(v), h) << c.name << " bits " << std::hex << i << " value " << std::hexfloat << v;
      // The trait table's byte codec agrees with the bit functions.
      const DTypeTraits& t = traits(c.dtype);
      std::byte buf[2];
      t.encode_rne(v, buf);
      uint16_t stored;
      std::memcpy(&stored, buf, 2);
      ASSERT_EQ(stored, h);
      ASSERT_EQ(std::bit_cast<uint64_t>(t.decode(buf)), std::bit_cast<uint64_t>(v));
    }
  }
}

// Each value, each midpoint between neighbours, and the doubles just around them.
TEST(DType, EncoderAgreesWithReferenceAroundEveryValueAndMidpoint) {
  for (const Codec& c : kCodecs) {
    const BinaryFormat& f = traits(c.dtype).format;
    const uint16_t inf_bits = static_cast<uint16_t>(((1u << c.bits.exp_bits) - 1) << c.bits.mant_bits);
    for (uint32_t h = 0; h < inf_bits; ++h) {
      const double v = c.decode(static_cast<uint16_t>(h));
      const double mid = v + f.ulp(v) / 2;
      for (double x : {v, mid, std::nextafter(mid, 0.0), std::nextafter(mid, 1e300), std::nextafter(v, 1e300)}) {
        for (double sx : {x, -x}) {
          const uint16_t want = reference_encode(c.bits, sx);
          const uint16_t got = c.encode(sx);
          ASSERT_EQ(got, want) << c.name << " x=" << sx << " (" << std::hexfloat << sx << std::defaultfloat << ") got "
                               << std::hex << got << " want " << want;
        }
      }
    }
  }
}

// Arbitrary doubles from far below the subnormals to far beyond the maximum.
RC_GTEST_PROP(DType, EncoderAgreesWithReferenceOnRandomDoubles, (uint64_t mantissa, int exponent_seed, bool negative)) {
  const int e = std::abs(exponent_seed % 320) - 160;
  const double x = (negative ? -1.0 : 1.0) * std::ldexp(1.0 + static_cast<double>(mantissa >> 12) * 0x1p-52, e);
  for (const Codec& c : kCodecs) RC_ASSERT(c.encode(x) == reference_encode(c.bits, x));
}

TEST(DType, SpecialValues) {
  EXPECT_EQ(f16_bits_from_double(std::numeric_limits<double>::infinity()), 0x7c00);
  EXPECT_EQ(f16_bits_from_double(-std::numeric_limits<double>::infinity()), 0xfc00);
  EXPECT_EQ(f16_bits_from_double(-0.0), 0x8000);
  EXPECT_EQ(f16_bits_from_double(65520.0), 0x7c00);
  EXPECT_EQ(f16_bits_from_double(65519.0), 0x7bff);
  EXPECT_EQ(f16_bits_from_double(0x1p-24), 0x0001);
  EXPECT_EQ(bf16_bits_from_double(1.0), 0x3f80);
  EXPECT_EQ(bf16_bits_from_double(-0x1p-133), 0x8001);
  // f32 storage: out-of-range doubles become infinities, ties go to even.
  const DTypeTraits& f32 = traits(DType::f32);
  std::byte buf[4];
  for (double x : {1e39, -1e300, 0x1.ffffffp127, 1.0 + 0x1p-24, -0x1p-150, 0x1.8p-149}) {
    f32.encode_rne(x, buf);
    float stored;
    std::memcpy(&stored, buf, 4);
    EXPECT_EQ(std::bit_cast<uint64_t>(static_cast<double>(stored)), std::bit_cast<uint64_t>(kFormatF32.round_nearest_even(x)))
        << std::hexfloat << x;
  }
  EXPECT_TRUE(std::isnan(f16_bits_to_double(0x7e00)));
  EXPECT_TRUE(std::isnan(bf16_bits_to_double(0xffc1)));
}

#ifdef FLASHCHECK_TEST_F16C
// Compiled for F16C regardless of the build's flags; only called when the CPU has it.
__attribute__((target("f16c"))) uint16_t hardware_f16(float x) {
  return static_cast<uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
}
#endif

TEST(DType, F16EncoderAgreesWithF16C) {
#ifdef FLASHCHECK_TEST_F16C
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU has no F16C";
  // Every float whose low 13 bits are 0, 1, 0x1000 (the half-way point) or 0x1001: covers
  // exact values, ties and near-ties in every binade, in and out of the f16 range.
  for (uint32_t top = 0; top < (1u << 19); ++top)
    for (uint32_t low : {0u, 1u, 0xfffu, 0x1000u, 0x1001u}) {
      const float x = std::bit_cast<float>((top << 13) | low);
      if (std::isnan(x)) continue;
      ASSERT_EQ(f16_bits_from_double(x), hardware_f16(x)) << std::hexfloat << x << " (" << std::defaultfloat << x << ")";
    }
#else
  GTEST_SKIP() << "not an x86-64 build";
#endif
}

TEST(DType, TraitTable) {
  std::set<std::string_view> names;
  for (const DTypeTraits& t : all_dtypes()) {
    names.insert(t.name);
    EXPECT_EQ(parse_dtype(t.name), t.id);
    EXPECT_EQ(dtype_name(t.id), t.name);
    EXPECT_EQ(&traits(t.id), &t);
  }
  EXPECT_EQ(names.size(), all_dtypes().size());
  EXPECT_EQ(traits(DType::f32).size, 4u);
  EXPECT_EQ(traits(DType::f16).size, 2u);
  EXPECT_EQ(traits(DType::bf16).size, 2u);
  EXPECT_FALSE(parse_dtype("f64").has_value());
  EXPECT_FALSE(parse_dtype("").has_value());
}

// Tensor::set stores the dtype-rounded value wherever the layout puts the element.
TEST(DType, TensorSetRoundsAndLayoutsAgree) {
  for (Layout layout : {Layout::contiguous, Layout::seq_major, Layout::padded_rows}) {
    Tensor t = Tensor::make(DType::f16, {2, 3, 4, 5}, layout);
    for (int64_t a = 0; a < 2; ++a)
      for (int64_t b = 0; b < 3; ++b)
        for (int64_t s = 0; s < 4; ++s)
          for (int64_t d = 0; d < 5; ++d) t.set(a, b, s, d, 1.0 + 0x1p-12 * static_cast<double>(1 + d + 5 * (s + 4 * (b + 3 * a))));
    for (int64_t a = 0; a < 2; ++a)
      for (int64_t b = 0; b < 3; ++b)
        for (int64_t s = 0; s < 4; ++s)
          for (int64_t d = 0; d < 5; ++d) {
            const double want = round_to(DType::f16, 1.0 + 0x1p-12 * static_cast<double>(1 + d + 5 * (s + 4 * (b + 3 * a))));
            ASSERT_EQ(t.get(a, b, s, d), want);
          }
    EXPECT_EQ(t.is_contiguous(), layout == Layout::contiguous);
  }
}

}  // namespace
}  // namespace flashcheck
