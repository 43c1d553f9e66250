// The case variants probes run on (verdict/probe_cases.hpp) change only what they name,
// and two runs are compared bit for bit or within the budget (verdict/output_comparison.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/generator.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/output_comparison.hpp"
#include "verdict/probe_cases.hpp"
#include "props/support/recipe_builders.hpp"

namespace flashcheck {
namespace {

using testing::recipe;
using testing::quantized;

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape || a.dtype != b.dtype) return false;
  const auto size = static_cast<int64_t>(traits(a.dtype).size);
  for (int64_t i0 = 0; i0 < a.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.shape[3]; ++i3)
          if (std::memcmp(a.data() + a.offset(i0, i1, i2, i3) * size, b.data() + b.offset(i0, i1, i2, i3) * size,
                          static_cast<size_t>(size)) != 0)
            return false;
  return true;
}

RunOutput run_ok(const AttentionCase& c) {
  auto b = make_cpu_textbook_backend();
  RunResult r = run_checked(*b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(r.message);
  return std::move(r.output);
}

OracleResult oracle_of(const AttentionCase& c) {
  OracleOptions o;
  o.out_type = c.o_type;
  return run_oracle(c, o);
}

// ---- KeyVisibility

TEST(KeyVisibility, CausalDecodeOffsetHidesTheFutureOfEachRow) {
  const AttentionCase c = generate(recipe({1, 1, 1, 4, 10, 64, 64}, "normal", "causal", 1));  // offset 6
  const KeyVisibility v(c);
  EXPECT_TRUE(v.hidden(0, 7));
  EXPECT_FALSE(v.hidden(0, 6));
  EXPECT_TRUE(v.hidden_from_every_row().empty()) << "the last row sees every key";
  EXPECT_EQ(v.hidden_from_row(0), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(v.boundary_keys(), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(v.most_hiding_row(), 0);
  EXPECT_EQ(v.rows_hiding_all({8, 9}), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(v.any_hidden());
}

TEST(KeyVisibility, ExplicitColumnsAreHiddenFromEveryRow) {
  const AttentionCase c = generate(recipe({1, 1, 1, 40, 40, 64, 64}, "normal", "tile_edges", 2));
  const KeyVisibility v(c);
  const std::vector<int64_t> everywhere = v.hidden_from_every_row();
  for (int64_t j : {15, 16, 17, 31, 32, 33})
    EXPECT_NE(std::find(everywhere.begin(), everywhere.end(), j), everywhere.end()) << j;
  for (int64_t j : everywhere)
    for (int64_t i = 0; i < 40; ++i) EXPECT_TRUE(v.hidden(i, j));
}

TEST(KeyVisibility, RowsThatSeeNothingDoNotCount) {
  const AttentionCase c = generate(recipe({1, 1, 1, 16, 40, 64, 64}, "normal", "masked_rows", 3));
  const KeyVisibility v(c);
  bool some_empty_row = false;
  for (int64_t i = 0; i < 16; ++i) some_empty_row = some_empty_row || !v.row_sees_a_key(i);
  ASSERT_TRUE(some_empty_row);
  EXPECT_TRUE(v.hidden_from_every_row().empty()) << "keys hidden only from empty rows are seen by the others";
  const int64_t i = v.most_hiding_row();
  EXPECT_TRUE(i < 0 || v.row_sees_a_key(i));
}

TEST(KeyVisibility, NoMaskHidesNothing) {
  const KeyVisibility v(generate(recipe({1, 1, 1, 4, 10, 64, 64}, "normal", "none", 4)));
  EXPECT_FALSE(v.any_hidden());
  EXPECT_EQ(v.most_hiding_row(), -1);
  EXPECT_TRUE(v.boundary_keys().empty());
}

// ---- case variants

TEST(ProbeCases, KvAtKeysChangesOnlyThoseKeys) {
  const AttentionCase c = generate(recipe({2, 2, 2, 4, 20, 64, 64}, "normal", "causal", 5));
  const AttentionCase v = with_kv_at_keys(
      c, {3, 17}, [](int64_t, int64_t, int64_t, int64_t) { return 256.0; },
      [](int64_t, int64_t, int64_t, int64_t) { return -0.5; });
  EXPECT_EQ(validate(v), "");
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t j = 0; j < 20; ++j)
        for (int64_t d = 0; d < 64; d += 9) {
          const bool changed = j == 3 || j == 17;
          EXPECT_EQ(v.k.get(b, h, j, d), changed ? 256.0 : c.k.get(b, h, j, d));
          EXPECT_EQ(v.v.get(b, h, j, d), changed ? -0.5 : c.v.get(b, h, j, d));
        }
  EXPECT_THROW(with_kv_at_keys(c, {20}, {}, {}), std::invalid_argument);
}

TEST(ProbeCases, KvAtKeysRequantizesOnlyThoseRows) {
  CaseRecipe r = quantized(recipe({1, 4, 2, 4, 40, 64, 64}, "normal", "none", 6), "mxfp8_e4m3", KvRowLayout::soa);
  r.v_nan_scale = true;  // an edited byte in the last key's row must survive
  const AttentionCase c = generate(r);
  const AttentionCase v = with_kv_at_keys(
      c, {5}, [](int64_t, int64_t, int64_t, int64_t) { return 300.0; },
      [](int64_t, int64_t, int64_t, int64_t) { return 2.0; });
  EXPECT_EQ(validate(v), "");
  const QuantizedKv& before = *c.v_quant;
  const QuantizedKv& after = *v.v_quant;
  for (int64_t j = 0; j < 40; ++j) {
    const bool same = std::equal(before.row(0, j), before.row(0, j) + before.row_bytes, after.row(0, j));
    EXPECT_EQ(same, j != 5) << "key " << j;
  }
  EXPECT_EQ(v.k.get(0, 1, 5, 7), 288.0) << "300 rounds to 288 in E4M3 (the block, all 300s, has scale 1)";
  EXPECT_EQ(v.v.get(0, 0, 5, 0), 2.0);
  EXPECT_THROW(with_kv_at_keys(c, {5}, {}, [](int64_t, int64_t, int64_t, int64_t) { return NAN; }),
               std::invalid_argument);
}

TEST(ProbeCases, ExplicitMaskKeepsEveryBiasAndReplacesMinusInfinity) {
  CaseRecipe r = recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "tile_edges", 7);
  r.max_bias = 4.0f;
  const AttentionCase c = generate(r);
  const AttentionCase same = with_explicit_mask(c, -INFINITY, false);
  const AttentionCase finite = with_explicit_mask(c, -65504.0f, false);
  const AttentionCase repeated = with_explicit_mask(c, -65504.0f, true);
  for (const AttentionCase* v : {&same, &finite, &repeated}) EXPECT_EQ(validate(*v), "");
  EXPECT_EQ(same.mask_kind, MaskKind::explicit_only);
  EXPECT_EQ(repeated.mask_kind, MaskKind::causal);
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 40; ++j) {
      const double bias = c.bias(i, j);
      EXPECT_EQ(same.bias(i, j), bias);
      if (std::isinf(bias)) {
        EXPECT_EQ(finite.mask->get(0, 0, i, j), -65504.0);
        EXPECT_TRUE(std::isfinite(finite.bias(i, j)));
        EXPECT_EQ(repeated.mask->get(0, 0, i, j), -65504.0);
      } else {
        EXPECT_EQ(finite.bias(i, j), bias);
        EXPECT_EQ(repeated.bias(i, j), bias);
      }
    }
  // The finite sentinel weighs hidden keys by exp(-65504): nothing an f32 O can show.
  const OracleResult a = oracle_of(c), b = oracle_of(finite);
  EXPECT_EQ(a.o, b.o);
}

TEST(ProbeCases, ZeroQAndNoMask) {
  CaseRecipe r = quantized(recipe({1, 2, 2, 4, 64, 64, 64}, "normal", "causal", 8), "mxfp8_e4m3", KvRowLayout::aos);
  r.hadamard = true;
  const AttentionCase c = generate(r);
  const AttentionCase z = with_zero_q(c);
  EXPECT_EQ(validate(z), "");
  for (int64_t d = 0; d < 64; ++d) EXPECT_EQ(z.q.get(0, 1, 3, d), 0.0);
  ASSERT_TRUE(z.rotated_q.has_value());
  EXPECT_EQ(z.rotated_q->get(0, 1, 3, 5), 0.0);
  const AttentionCase open = with_no_mask(c);
  EXPECT_EQ(validate(open), "");
  EXPECT_FALSE(KeyVisibility(open).any_hidden());
  EXPECT_TRUE(same_bits(open.k, c.k));
}

TEST(ProbeCases, VScaledDownByAPowerOfTwo) {
  CaseRecipe r = recipe({1, 2, 2, 4, 30, 64, 64}, "large_v", "none", 9);
  const AttentionCase c = generate(r);
  const AttentionCase v = with_v_scaled_down(c, 8);
  for (int64_t j = 0; j < 30; ++j) EXPECT_EQ(v.v.get(0, 1, j, 3), std::ldexp(c.v.get(0, 1, j, 3), -8));
  const AttentionCase q = generate(quantized(recipe({1, 2, 2, 4, 32, 64, 64}, "normal", "none", 9), "ggml_q8_0",
                                             KvRowLayout::aos));
  EXPECT_THROW(with_v_scaled_down(q, 1), std::invalid_argument);
}

TEST(ProbeCases, PlainKvKeepsTheOraclesAnswer) {
  CaseRecipe r = quantized(recipe({1, 2, 2, 4, 64, 64, 64}, "normal", "causal", 10), "ggml_q4_0", KvRowLayout::aos);
  r.hadamard = true;
  const AttentionCase c = generate(r);
  const AttentionCase plain = with_plain_kv(c);
  EXPECT_EQ(validate(plain), "");
  EXPECT_FALSE(plain.has_quantized_kv());
  EXPECT_FALSE(plain.rotated_q.has_value());
  const OracleResult a = oracle_of(c), b = oracle_of(plain);
  EXPECT_EQ(a.o, b.o);
  EXPECT_EQ(a.lse, b.lse);
}

TEST(ProbeCases, SwappedLayoutKeepsTheValuesAndSwapsBack) {
  CaseRecipe r = quantized(recipe({1, 4, 2, 4, 40, 64, 64}, "normal", "none", 11), "mxfp6_e2m3", KvRowLayout::soa);
  r.v_nan_scale = true;
  const AttentionCase c = generate(r);
  std::string why;
  const std::optional<AttentionCase> aos = with_swapped_kv_layout(c, &why);
  ASSERT_TRUE(aos.has_value()) << why;
  EXPECT_EQ(validate(*aos), "");
  EXPECT_EQ(aos->k_quant->layout, KvRowLayout::aos);
  EXPECT_NE(aos->k_quant->bytes, c.k_quant->bytes);
  const std::optional<AttentionCase> back = with_swapped_kv_layout(*aos, &why);
  ASSERT_TRUE(back.has_value()) << why;
  EXPECT_EQ(back->k_quant->bytes, c.k_quant->bytes);
  EXPECT_EQ(back->v_quant->bytes, c.v_quant->bytes);
  EXPECT_FALSE(with_swapped_kv_layout(generate(recipe({1, 1, 1, 2, 8, 64, 64}, "normal", "none", 1)), &why));
  EXPECT_NE(why.find("not block-quantized"), std::string::npos);
}

TEST(ProbeCases, KeyPrefixCutsKeysAndTheirMaskColumns) {
  const AttentionCase c = generate(recipe({1, 2, 1, 8, 40, 64, 64}, "normal", "random", 12));
  const AttentionCase p = with_key_prefix(c, 10);
  EXPECT_EQ(validate(p), "");
  EXPECT_EQ(p.shape.lk, 10);
  EXPECT_EQ(p.shape.lq, 8) << "an explicit mask keeps every query row";
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 10; ++j) EXPECT_EQ(p.bias(i, j), c.bias(i, j));
  EXPECT_EQ(p.k.get(0, 0, 9, 5), c.k.get(0, 0, 9, 5));

  const AttentionCase causal = with_key_prefix(generate(recipe({1, 2, 1, 16, 16, 64, 64}, "normal", "causal", 13)), 4);
  EXPECT_EQ(validate(causal), "");
  EXPECT_EQ(causal.shape.lq, 4) << "a causal prefill stays square";
  EXPECT_THROW(with_key_prefix(c, 41), std::invalid_argument);

  const AttentionCase q = generate(quantized(recipe({1, 2, 2, 4, 40, 64, 64}, "normal", "none", 14), "mxfp4_e2m1",
                                             KvRowLayout::aos));
  const AttentionCase qp = with_key_prefix(q, 7);
  EXPECT_EQ(validate(qp), "");
  EXPECT_TRUE(std::equal(qp.k_quant->bytes.begin(), qp.k_quant->bytes.end(), q.k_quant->bytes.begin()));
}

// ---- comparing runs

TEST(OutputComparison, BitwiseFindsOneChangedElementAndPrintsItInHex) {
  const AttentionCase c = generate(recipe({1, 2, 2, 4, 20, 64, 64}, "normal", "none", 15));
  const RunOutput a = run_ok(c);
  RunOutput b = a;
  EXPECT_TRUE(bitwise_difference(c, a, b).identical());
  b.o.set(0, 1, 2, 3, std::nextafter(static_cast<float>(a.o.get(0, 1, 2, 3)), INFINITY));
  const OutputDifference d = bitwise_difference(c, a, b);
  EXPECT_EQ(d.differing, 1);
  EXPECT_EQ(d.compared, 2 * 4 * (64 + 1));
  EXPECT_NE(d.first.find("O[b=0 h=1 i=2 col=3]"), std::string::npos) << d.first;
  EXPECT_NE(d.first.find("0x1."), std::string::npos) << d.first;
  const int64_t row = (0 * 2 + 1) * 4 + 2;
  EXPECT_TRUE(bitwise_difference(c, a, b, [&](int64_t r) { return r != row; }).identical());
}

TEST(OutputComparison, NanPayloadsAndSignedZerosCount) {
  const AttentionCase c = generate(recipe({1, 1, 1, 2, 20, 64, 64}, "normal", "none", 16));
  RunOutput a = run_ok(c), b = a;
  const uint32_t quiet = 0x7fc00000u, payload = 0x7fc00123u;
  a.o.set_bits(0, 0, 0, 0, &quiet);
  b.o.set_bits(0, 0, 0, 0, &payload);
  a.lse[1] = 0.0f;
  b.lse[1] = -0.0f;
  EXPECT_EQ(bitwise_difference(c, a, b).differing, 2);
  // Within the budget both are the same values.
  EXPECT_EQ(difference_beyond_budget(c, oracle_of(c), a, b).over, 0);
}

TEST(OutputComparison, BudgetDifferenceFlagsWhatExceedsTheBudget) {
  const AttentionCase c = generate(recipe({1, 2, 2, 4, 20, 64, 64}, "normal", "none", 17));
  const OracleResult oracle = oracle_of(c);
  const RunOutput a = run_ok(c);
  RunOutput b = a;
  b.o.set(0, 0, 1, 1, a.o.get(0, 0, 1, 1) + 1.0);
  b.lse[0] = std::numeric_limits<float>::quiet_NaN();
  const BudgetDifference d = difference_beyond_budget(c, oracle, a, b);
  EXPECT_EQ(d.over, 2);
  EXPECT_TRUE(std::isinf(d.worst_ratio));
  EXPECT_NE(d.worst.find("LSE[b=0 h=0 i=0]"), std::string::npos) << d.worst;
  RunOutput no_lse = a;
  no_lse.lse.clear();
  EXPECT_EQ(bitwise_difference(c, a, no_lse).differing, bitwise_difference(c, a, no_lse).compared);
}

TEST(OutputComparison, DecimalAndHex) { EXPECT_EQ(decimal_and_hex(0.5), "0.5 (0x1p-1)"); }

}  // namespace
}  // namespace flashcheck
