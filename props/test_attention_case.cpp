// AttentionCase: structural masks with the decode offset, ALiBi slopes and biases, the
// materialized mask, and validation messages.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/attention_case.hpp"
#include "core/case_transforms.hpp"
#include "core/generator.hpp"

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A well-formed case with zero-filled tensors of the right shapes.
AttentionCase make_case(CaseShape s) {
  AttentionCase c;
  c.shape = s;
  c.q = Tensor::make(c.q_type, {s.batch, s.hq, s.lq, s.dk});
  c.k = Tensor::make(c.k_type, {s.batch, s.hkv, s.lk, s.dk});
  c.v = Tensor::make(c.v_type, {s.batch, s.hkv, s.lk, s.dv});
  return c;
}

CaseShape shape(int64_t lq, int64_t lk, int64_t hq = 1, int64_t hkv = 1) {
  CaseShape s;
  s.lq = lq;
  s.lk = lk;
  s.hq = hq;
  s.hkv = hkv;
  s.dk = s.dv = 4;
  return s;
}

TEST(AttentionCase, CausalUsesTheDecodeOffset) {
  AttentionCase c = make_case(shape(2, 5));  // offset 3: query 0 sits at position 3
  c.mask_kind = MaskKind::causal;
  for (int64_t j = 0; j < 5; ++j) {
    EXPECT_EQ(c.bias(0, j), j <= 3 ? 0.0 : -kInf) << "j=" << j;
    EXPECT_EQ(c.bias(1, j), 0.0) << "j=" << j;
  }
  // More queries than keys: the first queries see nothing.
  AttentionCase wide = make_case(shape(4, 2));  // offset -2
  wide.mask_kind = MaskKind::causal;
  EXPECT_EQ(wide.bias(0, 0), -kInf);
  EXPECT_EQ(wide.bias(1, 0), -kInf);
  EXPECT_EQ(wide.bias(2, 0), 0.0);
  EXPECT_EQ(wide.bias(2, 1), -kInf);
  EXPECT_EQ(wide.bias(3, 1), 0.0);
}

TEST(AttentionCase, WindowKeepsTheLastKeys) {
  AttentionCase c = make_case(shape(3, 6));  // offset 3
  c.mask_kind = MaskKind::window;
  c.window = 2;
  // Query i at position i + 3 sees positions i + 2 and i + 3.
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 6; ++j)
      EXPECT_EQ(c.structurally_visible(i, j), j == i + 2 || j == i + 3) << "i=" << i << " j=" << j;
}

TEST(AttentionCase, AlibiSlopesEightHeads) {
  AttentionCase c = make_case(shape(1, 1, 8));
  c.max_bias = 8.0f;
  // n_head_log2 = 8, m0 = 2^-1: slope(h) = 2^-(h+1), all exact.
  for (int64_t h = 0; h < 8; ++h) EXPECT_EQ(c.slope(h), std::ldexp(1.0f, -static_cast<int>(h + 1))) << "h=" << h;
}

TEST(AttentionCase, AlibiSlopesTwelveHeads) {
  AttentionCase c = make_case(shape(1, 1, 12, 4));
  c.max_bias = 8.0f;
  // n_head_log2 = 8: heads 0..7 take 2^-(h+1); heads 8..11 take m1^(2(h-8)+1) with
  // m1 = 2^-0.5, i.e. 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5.
  for (int64_t h = 0; h < 8; ++h) EXPECT_EQ(c.slope(h), std::ldexp(1.0f, -static_cast<int>(h + 1))) << "h=" << h;
  const double root_half = std::sqrt(0.5);
  for (int64_t h = 8; h < 12; ++h)
    EXPECT_EQ(c.slope(h), static_cast<float>(std::ldexp(root_half, -static_cast<int>(h - 8)))) << "h=" << h;
  // max_bias = 4 halves every exponent.
  c.max_bias = 4.0f;
  EXPECT_EQ(c.slope(0), static_cast<float>(root_half));
  EXPECT_EQ(c.slope(8), static_cast<float>(std::pow(2.0, -0.25)));
}

TEST(AttentionCase, NoAlibiMeansUnitSlope) {
  AttentionCase c = make_case(shape(1, 1, 8));
  for (int64_t h = 0; h < 8; ++h) EXPECT_EQ(c.slope(h), 1.0f);
  EXPECT_FALSE(c.uses_alibi());
}

TEST(AttentionCase, AlibiBiasIsMinusTheDistance) {
  AttentionCase c = make_case(shape(2, 4));  // offset 2
  c.max_bias = 8.0f;
  c.mask_kind = MaskKind::causal;
  EXPECT_EQ(c.bias(0, 0), -2.0);
  EXPECT_EQ(c.bias(0, 2), 0.0);
  EXPECT_EQ(c.bias(0, 3), -kInf);
  EXPECT_EQ(c.bias(1, 0), -3.0);
}

TEST(AttentionCase, MaterializedMaskCombinesExplicitAndStructural) {
  AttentionCase c = make_case(shape(2, 3));  // offset 1
  c.mask_kind = MaskKind::causal;
  Tensor m = Tensor::make(DType::f16, {1, 1, 2, 3});
  m.set(0, 0, 0, 0, -0.5);
  m.set(0, 0, 0, 1, -kInf);
  m.set(0, 0, 1, 2, -0.25);
  c.mask = m;
  c.max_bias = 1.0f;
  const std::vector<float> want{-0.5f - 1.0f, -std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                                -2.0f, -1.0f, -0.25f};
  EXPECT_EQ(c.materialized_mask(), want);
  EXPECT_EQ(validate(c), "");
}

TEST(AttentionCase, ValidateAcceptsAWellFormedCase) { EXPECT_EQ(validate(make_case(shape(3, 5, 4, 2))), ""); }

TEST(AttentionCase, ValidateExplainsEachProblem) {
  {
    AttentionCase c = make_case(shape(1, 1, 3, 2));
    EXPECT_NE(validate(c).find("Hq (3) must be a multiple of Hkv (2)"), std::string::npos) << validate(c);
  }
  {
    AttentionCase c = make_case(shape(1, 1));
    c.shape.dk = 0;
    EXPECT_NE(validate(c).find("every dimension must be >= 1"), std::string::npos) << validate(c);
  }
  {
    AttentionCase c = make_case(shape(2, 2, 4, 2));
    c.sinks = {0.0f, 1.0f};
    EXPECT_NE(validate(c).find("one value per query head (2 given, Hq = 4)"), std::string::npos) << validate(c);
  }
  {
    AttentionCase c = make_case(shape(2, 2));
    c.mask_kind = MaskKind::window;
    c.window = 0;
    EXPECT_NE(validate(c).find("window >= 1"), std::string::npos) << validate(c);
  }
  {
    AttentionCase c = make_case(shape(2, 2));
    c.k = Tensor::make(c.k_type, {1, 1, 3, 4});
    EXPECT_NE(validate(c).find("K shape"), std::string::npos) << validate(c);
  }
  {
    AttentionCase c = make_case(shape(2, 2));
    c.mask_kind = MaskKind::explicit_only;
    EXPECT_NE(validate(c).find("needs a mask tensor"), std::string::npos) << validate(c);
  }
}

TEST(AttentionCase, MaskKindNamesRoundTrip) {
  for (MaskKind k : {MaskKind::none, MaskKind::causal, MaskKind::window, MaskKind::explicit_only})
    EXPECT_EQ(parse_mask_kind(to_string(k)), k);
  EXPECT_FALSE(parse_mask_kind("diagonal").has_value());
}

// Causal visibility: the last query always sees every key when Lq <= Lk, and each query
// sees exactly min(Lk, max(0, i + offset + 1)) keys.
RC_GTEST_PROP(AttentionCase, CausalVisibleCount, ()) {
  const int64_t lq = *rc::gen::inRange<int64_t>(1, 40);
  const int64_t lk = *rc::gen::inRange<int64_t>(1, 40);
  AttentionCase c = make_case(shape(lq, lk));
  c.mask_kind = MaskKind::causal;
  for (int64_t i = 0; i < lq; ++i) {
    int64_t visible = 0;
    for (int64_t j = 0; j < lk; ++j) visible += c.structurally_visible(i, j) ? 1 : 0;
    RC_ASSERT(visible == std::min(lk, std::max<int64_t>(0, i + (lk - lq) + 1)));
  }
}

}  // namespace
}  // namespace flashcheck

namespace flashcheck {
namespace {

TEST(CaseTransforms, ReplicatedKvHeadsCopyEachQueryHeadsKvHeadBitForBit) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 6, .hkv = 2, .lq = 3, .lk = 11, .dk = 8, .dv = 5};
  r.layout = Layout::seq_major;
  r.distribution = "special";
  r.mask = "causal";
  const AttentionCase grouped = generate(r);
  const AttentionCase mha = with_replicated_kv_heads(grouped);
  EXPECT_EQ(validate(mha), "");
  EXPECT_EQ(mha.shape.hkv, 6);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 6; ++h)
      for (int64_t j = 0; j < 11; ++j)
        for (int64_t d = 0; d < 8; ++d) {
          const double x = mha.k.get(b, h, j, d), y = grouped.k.get(b, h / 3, j, d);
          EXPECT_TRUE(std::memcmp(&x, &y, sizeof x) == 0) << b << " " << h << " " << j << " " << d;
        }
  CaseRecipe q = r;
  q.distribution = "normal";
  q.shape.dk = q.shape.dv = 32;
  q.k_quant = "ggml_q8_0";
  EXPECT_THROW((void)with_replicated_kv_heads(generate(q)), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
