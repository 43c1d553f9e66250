// Block-32 Walsh-Hadamard rotation: H H^T = 32 I exactly, rotation preserves norms and
// dot products (Q K^T of rotated rows), and the fused / unfused rotate-then-quantize paths.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "oracle/blocks/block_scheme.hpp"
#include "oracle/blocks/hadamard.hpp"
#include "oracle/blocks/mx_block.hpp"

namespace flashcheck::blocks {
namespace {

TEST(BlocksHadamard, OrthogonalInIntegers) {
  for (int i = 0; i < kBlockSize; ++i) {
    EXPECT_EQ(hadamard_sign(0, i), 1);
    for (int j = 0; j < kBlockSize; ++j) {
      EXPECT_EQ(hadamard_sign(i, j), hadamard_sign(j, i));
      int dot = 0;
      for (int k = 0; k < kBlockSize; ++k) dot += hadamard_sign(i, k) * hadamard_sign(j, k);
      EXPECT_EQ(dot, i == j ? kBlockSize : 0) << i << "," << j;
    }
  }
  // Sylvester order: row 1 alternates, row 16 flips at the half.
  EXPECT_EQ(hadamard_sign(1, 1), -1);
  EXPECT_EQ(hadamard_sign(16, 15), 1);
  EXPECT_EQ(hadamard_sign(16, 16), -1);
}

// f32 values within a few binades of each other, so H x is exact in double.
std::vector<double> random_f32_row(size_t n, int base) {
  std::vector<double> x(n);
  for (double& v : x) {
    const auto mantissa = *rc::gen::inRange<uint32_t>(0, 1u << 23);
    v = std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -23), base - *rc::gen::inRange(0, 8));
    if (*rc::gen::arbitrary<bool>()) v = -v;
  }
  return x;
}

double dot(const std::vector<double>& a, const std::vector<double>& b, size_t at, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += a[at + i] * b[at + i];
  return s;
}

// Q K^T of 4 x 128 and 6 x 128 rows, with and without rotating both: the rotation is
// orthonormal, so the scores agree up to rounding (bounded by 2^-40 |q| |k|).
TEST(BlocksHadamard, RotationPreservesDotProductsAndNorms) {
  const bool ok = rc::check("Q K^T and norms unchanged by the rotation", [] {
    constexpr size_t d = 128;
    const int base = *rc::gen::inRange(-30, 30);
    const std::vector<double> q = random_f32_row(4 * d, base), k = random_f32_row(6 * d, base);
    const std::vector<double> rq = rotate_row(q), rk = rotate_row(k);
    for (size_t i = 0; i < 4; ++i) {
      const double qq = dot(q, q, i * d, d);
      RC_ASSERT(std::fabs(dot(rq, rq, i * d, d) - qq) <= 0x1p-40 * qq);
      for (size_t j = 0; j < 6; ++j) {
        double plain = 0.0, rotated = 0.0;
        for (size_t c = 0; c < d; ++c) {
          plain += q[i * d + c] * k[j * d + c];
          rotated += rq[i * d + c] * rk[j * d + c];
        }
        const double bound = 0x1p-40 * std::sqrt(qq * dot(k, k, j * d, d));
        if (!(std::fabs(rotated - plain) <= bound))
          RC_FAIL("score " + describe_value(plain) + " became " + describe_value(rotated));
      }
    }
    // H (H x) = 32 x: rotating twice gives x back up to rounding.
    const std::vector<double> back = rotate_row(rq);
    for (size_t i = 0; i < q.size(); ++i)
      RC_ASSERT(std::fabs(back[i] - q[i]) <=
                0x1p-45 * std::fabs(q[i]) + 0x1p-45 * std::sqrt(dot(q, q, (i / d) * d, d)));
  });
  EXPECT_TRUE(ok);
}

TEST(BlocksHadamard, ExactnessIsReported) {
  std::vector<double> x(kBlockSize, 0.0);
  x[0] = 1.0;
  x[1] = 0x1p-60;  // 1 +- 2^-60 is not a double
  EXPECT_FALSE(hadamard_unscaled(x).exact);
  x[1] = 0x1p-20;
  const UnscaledRotation r = hadamard_unscaled(x);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.sums[0], 1.0 + 0x1p-20);
  EXPECT_EQ(r.sums[1], 1.0 - 0x1p-20);
}

// x = e_0: every rotated value is 2^-2.5 = 0.17678 (an irrational, so fused and unfused differ
// only in how that value is reached). fp4_e2m1 hand results per rule:
//  ocp_floor: X = floor(-2.5) - 2 = -5, 2^-2.5 * 32 = 5.657 -> 6 (code 0x7)
//  round:     X = -2 - 2 = -4 (the tie log2 = -2.5 rounds up), 2.828 -> 3 (0x5)
//  ceil:      X = -5 (2^-2.5 <= 6 * 2^-5 = 0.1875), 5.657 -> 6 (0x7)
// Unfused, the value is first rounded to f32 0x1.6a09e6p-3, just below 2^-2.5: `round` then
// sees log2 < -2.5 and picks X = -5 like the others (code 0x7) where the fused path picks -4.
TEST(BlocksHadamard, FusedRotationHandVector) {
  std::vector<double> x(kBlockSize, 0.0);
  x[0] = 1.0;
  const BlockScheme& s = block_scheme("mxfp4_e2m1");
  const struct {
    ScaleRule rule;
    RotationMode mode;
    uint16_t scale;
    uint8_t code;
  } cases[] = {{ScaleRule::ocp_floor, RotationMode::fused, 127 - 5, 0x7},
               {ScaleRule::ocp_floor, RotationMode::unfused, 127 - 5, 0x7},
               {ScaleRule::round, RotationMode::fused, 127 - 4, 0x5},
               {ScaleRule::round, RotationMode::unfused, 127 - 5, 0x7},
               {ScaleRule::ceil, RotationMode::fused, 127 - 5, 0x7},
               {ScaleRule::ceil, RotationMode::unfused, 127 - 5, 0x7}};
  for (const auto& c : cases) {
    const std::vector<Block> b = quantize_rotated_row(s, x, c.mode, MxOptions{c.rule, {}});
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].scale, c.scale) << name(c.rule) << (c.mode == RotationMode::fused ? " fused" : " unfused");
    for (uint8_t code : b[0].codes) EXPECT_EQ(code, c.code) << name(c.rule);
  }
}

// The fused path agrees with quantizing 64-bit-precision rotated values (long double),
// away from the rare inputs whose rotated value lies within 2^-60 of a rounding boundary.
TEST(BlocksHadamard, FusedMatchesExtendedPrecisionReference) {
  const bool ok = rc::check("fused rotation == extended-precision reference", [] {
    const std::vector<double> x = random_f32_row(kBlockSize, *rc::gen::inRange(-20, 20));
    const char* names[] = {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4_e2m1"};
    const BlockScheme& s = block_scheme(names[*rc::gen::inRange(0, 5)]);
    const ScaleRule rule = all_scale_rules()[*rc::gen::inRange<size_t>(0, 3)];
    const UnscaledRotation r = hadamard_unscaled(x);
    RC_ASSERT(r.exact);
    std::vector<double> reference(kBlockSize);
    const long double inv_sqrt32 = 1.0L / std::sqrt(32.0L);
    for (size_t i = 0; i < reference.size(); ++i)
      reference[i] = static_cast<double>(static_cast<long double>(r.sums[i]) * inv_sqrt32);
    const std::vector<Block> fused = quantize_rotated_row(s, x, RotationMode::fused, MxOptions{rule, {}});
    const std::vector<Block> want = quantize_row(s, reference, MxOptions{rule, {}});
    RC_ASSERT(fused == want);
  });
  EXPECT_TRUE(ok);
}

TEST(BlocksHadamard, UnfusedRoundsToF32First) {
  const bool ok = rc::check("unfused == quantize(f32(rotate(x)))", [] {
    const std::vector<double> x = random_f32_row(2 * kBlockSize, *rc::gen::inRange(-20, 20));
    for (const BlockScheme& s : all_block_schemes()) {
      std::vector<double> y = rotate_row(x);
      for (double& v : y) v = static_cast<double>(static_cast<float>(v));
      RC_ASSERT(quantize_rotated_row(s, x, RotationMode::unfused) == quantize_row(s, y));
    }
  });
  EXPECT_TRUE(ok);
}

TEST(BlocksHadamard, FusedRejectsWhatItCannotDoExactly) {
  std::vector<double> x(kBlockSize, 0.0);
  x[0] = 1.0;
  EXPECT_THROW((void)quantize_rotated_row(block_scheme("ggml_q8_0"), x, RotationMode::fused), std::invalid_argument);
  x[1] = 0x1p-60;
  EXPECT_THROW((void)quantize_rotated_row(block_scheme("mxfp8_e4m3"), x, RotationMode::fused), std::domain_error);
  x[1] = 0x1p-50;  // exact (51 bits) but more than 48 significant bits
  EXPECT_THROW((void)quantize_rotated_row(block_scheme("mxfp8_e4m3"), x, RotationMode::fused), std::domain_error);
  EXPECT_THROW((void)rotate_row(std::vector<double>(40, 1.0)), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck::blocks
