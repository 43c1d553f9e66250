// The exact case transformations (core/case_transforms.hpp): each moves exactly what it
// says, keeps the case valid, and leaves the oracle's correctly rounded answer unchanged
// bit for bit (or changed exactly as stated), which is what lets the metamorphic
// properties compare a kernel with itself.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/case_transforms.hpp"
#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/support/random_recipe.hpp"

namespace flashcheck {

inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

std::string hex(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", x, x);
  return buf;
}

uint32_t bits(float x) { return std::bit_cast<uint32_t>(x); }

bool same_double_bits(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }

// The raw bits of one stored element (dtype width), for bit-for-bit comparisons.
std::vector<std::byte> element_bytes(const Tensor& t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  const auto size = traits(t.dtype).size;
  const std::byte* p = t.data() + t.offset(i0, i1, i2, i3) * static_cast<int64_t>(size);
  return {p, p + size};
}

OracleResult oracle_of(const AttentionCase& c) {
  OracleOptions opts;
  opts.out_type = c.o_type;
  opts.threads = 1;
  return run_oracle(c, opts);
}

// The first index where two f32 vectors differ in their bits, or "".
std::string first_bit_difference(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  if (a.size() != b.size()) return std::string(what) + ": sizes differ";
  for (size_t i = 0; i < a.size(); ++i)
    if (bits(a[i]) != bits(b[i])) return std::string(what) + "[" + std::to_string(i) + "]: " + hex(a[i]) + " vs " + hex(b[i]);
  return {};
}

flashcheck::testing::RecipeSpace small_space() {
  flashcheck::testing::RecipeSpace space;
  space.max_lk = 45;
  space.max_dk = 24;
  space.max_dv = 24;
  space.softcaps = {0.0f, 15.0f};
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  return space;
}

std::vector<int64_t> random_permutation(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t j = n - 1; j > 0; --j)
    std::swap(order[static_cast<size_t>(j)], order[static_cast<size_t>(*rc::gen::inRange<int64_t>(0, j + 1))]);
  return order;
}

// ---- structural mask as explicit ----------------------------------------------------

RC_GTEST_PROP(CaseTransforms, StructuralMaskAsExplicitKeepsEveryBiasAndTheOracle, ()) {
  auto space = small_space();
  space.masks = {"causal", "window", "tile_edges"};
  space.max_biases = {0.0f, 8.0f};
  const CaseRecipe recipe = flashcheck::testing::random_recipe(space);
  const AttentionCase c = generate(recipe);
  const AttentionCase e = with_structural_mask_as_explicit(c);
  RC_ASSERT(validate(e).empty());
  RC_ASSERT(e.mask_kind == MaskKind::explicit_only);
  RC_ASSERT(e.mask.has_value());
  for (int64_t i = 0; i < c.shape.lq; ++i)
    for (int64_t j = 0; j < c.shape.lk; ++j)
      if (!same_double_bits(e.bias(i, j), c.bias(i, j)))
        RC_FAIL("bias(" + std::to_string(i) + "," + std::to_string(j) + "): " + hex(e.bias(i, j)) + " vs " +
                hex(c.bias(i, j)));
  const OracleResult a = oracle_of(c), b = oracle_of(e);
  const std::string diff = first_bit_difference(a.o, b.o, "O") + first_bit_difference(a.lse, b.lse, "LSE");
  if (!diff.empty()) RC_FAIL(diff);
}

TEST(CaseTransforms, StructuralMaskAsExplicitLeavesOtherCasesAlone) {
  for (const char* mask : {"none", "random"}) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 3, .lk = 9, .dk = 4, .dv = 4};
    r.mask = mask;
    const AttentionCase c = generate(r);
    const AttentionCase e = with_structural_mask_as_explicit(c);
    EXPECT_EQ(e.mask_kind, c.mask_kind) << mask;
    EXPECT_EQ(e.mask.has_value(), c.mask.has_value()) << mask;
  }
}

TEST(CaseTransforms, StructuralMaskAsExplicitKeepsAnF16MasksDtype) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 4, .lk = 40, .dk = 4, .dv = 4};
  r.mask = "tile_edges";  // causal plus an f16 explicit mask
  const AttentionCase e = with_structural_mask_as_explicit(generate(r));
  ASSERT_TRUE(e.mask.has_value());
  EXPECT_EQ(e.mask->dtype, DType::f16);
  EXPECT_EQ(e.mask->get(0, 0, 0, 37), kNegInf) << "key 37 is after query 0's position 36";
  EXPECT_EQ(e.mask->get(0, 0, 0, 16), kNegInf) << "a tile-edge column";
  EXPECT_EQ(e.mask->get(0, 0, 0, 14), 0.0);
}

// ---- KV permutation -----------------------------------------------------------------

RC_GTEST_PROP(CaseTransforms, PermutedKvMovesKeysAndKeepsTheOracle, ()) {
  auto space = small_space();
  space.masks = {"none", "random", "masked_rows", "masked_tiles"};
  const CaseRecipe recipe = flashcheck::testing::random_recipe(space);
  const AttentionCase c = generate(recipe);
  const std::vector<int64_t> order = random_permutation(c.shape.lk);
  const AttentionCase p = with_permuted_kv(c, order);
  RC_ASSERT(validate(p).empty());
  const CaseShape& s = c.shape;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t g = 0; g < s.hkv; ++g)
      for (int64_t j = 0; j < s.lk; ++j) {
        const int64_t from = order[static_cast<size_t>(j)];
        for (int64_t d = 0; d < s.dk; ++d) RC_ASSERT(element_bytes(p.k, b, g, j, d) == element_bytes(c.k, b, g, from, d));
        for (int64_t d = 0; d < s.dv; ++d) RC_ASSERT(element_bytes(p.v, b, g, j, d) == element_bytes(c.v, b, g, from, d));
      }
  for (int64_t i = 0; i < s.lq; ++i)
    for (int64_t j = 0; j < s.lk; ++j)
      RC_ASSERT(same_double_bits(p.bias(i, j), c.bias(i, order[static_cast<size_t>(j)])));
  const OracleResult a = oracle_of(c), b = oracle_of(p);
  const std::string diff = first_bit_difference(a.o, b.o, "O") + first_bit_difference(a.lse, b.lse, "LSE");
  if (!diff.empty()) RC_FAIL(diff);
}

TEST(CaseTransforms, PermutedKvMovesQuantizedRowsAndTheirSources) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 2, .hkv = 2, .lq = 3, .lk = 7, .dk = 32, .dv = 64};
  r.k_quant = "mxfp4_e2m1";
  r.v_quant = "ggml_q8_0";
  r.kv_layout = KvRowLayout::soa;
  r.hadamard = true;
  r.mask = "random";
  const AttentionCase c = generate(r);
  const std::vector<int64_t> order{3, 0, 6, 1, 5, 2, 4};
  const AttentionCase p = with_permuted_kv(c, order);
  ASSERT_EQ(validate(p), "") << "the dequantized K/V must be the permuted bytes' values";
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t j = 0; j < 7; ++j) {
      const int64_t from = order[static_cast<size_t>(j)];
      EXPECT_EQ(std::memcmp(p.k_quant->row(b, j), c.k_quant->row(b, from), static_cast<size_t>(c.k_quant->row_bytes)), 0);
      EXPECT_EQ(std::memcmp(p.v_quant->row(b, j), c.v_quant->row(b, from), static_cast<size_t>(c.v_quant->row_bytes)), 0);
      EXPECT_EQ(p.k_quant->source.get(b, 1, j, 5), c.k_quant->source.get(b, 1, from, 5));
    }
  const OracleResult a = oracle_of(c), b = oracle_of(p);
  EXPECT_EQ(first_bit_difference(a.o, b.o, "O"), "");
  EXPECT_EQ(first_bit_difference(a.lse, b.lse, "LSE"), "");
}

TEST(CaseTransforms, PermutedKvRefusesPositionDependentScoresAndNonPermutations) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 2, .lk = 4, .dk = 4, .dv = 4};
  const std::vector<int64_t> order{1, 0, 3, 2};
  r.mask = "causal";
  EXPECT_THROW((void)with_permuted_kv(generate(r), order), std::invalid_argument);
  EXPECT_NO_THROW((void)with_permuted_kv(with_structural_mask_as_explicit(generate(r)), order));
  r.mask = "none";
  r.max_bias = 8.0f;
  EXPECT_THROW((void)with_permuted_kv(generate(r), order), std::invalid_argument);
  r.max_bias = 0.0f;
  const AttentionCase c = generate(r);
  EXPECT_THROW((void)with_permuted_kv(c, {0, 1, 2}), std::invalid_argument);
  EXPECT_THROW((void)with_permuted_kv(c, {0, 1, 1, 2}), std::invalid_argument);
  EXPECT_THROW((void)with_permuted_kv(c, {0, 1, 2, 4}), std::invalid_argument);
}

// ---- row score shift ----------------------------------------------------------------

// Shifts on a 2^-6 grid in [-8, 8]: with the generator's mask values that keeps every
// shifted entry exact in f32 except for the rare tiny bias, which the transformation
// refuses (the property then draws another case).
std::vector<float> random_shifts(int64_t lq, bool one_for_all) {
  std::vector<float> shift(static_cast<size_t>(lq));
  const float common = std::ldexp(static_cast<float>(*rc::gen::inRange(-512, 513)), -6);
  for (float& x : shift) x = one_for_all ? common : std::ldexp(static_cast<float>(*rc::gen::inRange(-512, 513)), -6);
  return shift;
}

RC_GTEST_PROP(CaseTransforms, RowScoreShiftKeepsOAndShiftsLseByTheSlopeTimesTheShift, ()) {
  auto space = small_space();
  space.masks = {"none", "causal", "window", "masked_rows", "masked_tiles", "tile_edges"};
  space.max_biases = {0.0f, 8.0f};
  CaseRecipe recipe = flashcheck::testing::random_recipe(space);
  if (recipe.max_bias > 0.0f) recipe.sinks = false;  // a sink cannot follow a slope-scaled shift
  const AttentionCase c = generate(recipe);
  const std::vector<float> shift = random_shifts(c.shape.lq, c.has_sinks());
  AttentionCase t;
  try {
    t = with_row_score_shift(c, shift);  // these masks hold only 0 and -inf: only a sink can make it inexact
  } catch (const std::invalid_argument&) {
    RC_DISCARD("a shifted sink would not be exact in f32");
  }
  RC_ASSERT(validate(t).empty());
  const OracleResult a = oracle_of(c), b = oracle_of(t);
  const std::string diff = first_bit_difference(a.o, b.o, "O");
  if (!diff.empty()) RC_FAIL(diff);
  const CaseShape& s = c.shape;
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    const auto r = static_cast<size_t>(row);
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq;
    if (a.fully_masked[r]) {
      RC_ASSERT(b.fully_masked[r] != 0);
      continue;
    }
    // slope (f32) times shift (f32) is exact in double; one more double rounding for the sum.
    const double want = a.lse_exact[r] + static_cast<double>(c.slope(h)) * shift[static_cast<size_t>(i)];
    const double slack = 4 * std::ldexp(std::fabs(want) + 1.0, -52);
    if (!(std::fabs(b.lse_exact[r] - want) <= slack))
      RC_FAIL("LSE row " + std::to_string(row) + ": " + hex(b.lse_exact[r]) + " vs " + hex(want));
  }
}

TEST(CaseTransforms, RowScoreShiftRefusesWhatItCannotDoExactly) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 2, .lk = 3, .dk = 4, .dv = 4};
  AttentionCase c = generate(r);
  EXPECT_THROW((void)with_row_score_shift(c, {1.0f}), std::invalid_argument);
  EXPECT_THROW((void)with_row_score_shift(c, {1.0f, std::numeric_limits<float>::infinity()}), std::invalid_argument);
  c.mask = Tensor::make(DType::f32, {1, 1, 2, 3});
  c.mask->set(0, 0, 1, 2, 0x1p-30);
  c.mask_kind = MaskKind::explicit_only;
  EXPECT_THROW((void)with_row_score_shift(c, {0.0f, 1.0f}), std::invalid_argument) << "2^-30 + 1 needs 31 bits";
  EXPECT_NO_THROW((void)with_row_score_shift(c, {1.0f, 0.0f}));
  c.mask->set(0, 0, 1, 2, 0.0);
  c.sinks = {1.0f, -2.0f};
  EXPECT_THROW((void)with_row_score_shift(c, {1.0f, 0.0f}), std::invalid_argument) << "sinks need one shift";
  const AttentionCase t = with_row_score_shift(c, {0.5f, 0.5f});
  EXPECT_EQ(t.sinks, (std::vector<float>{1.5f, -1.5f}));
  c.max_bias = 8.0f;
  EXPECT_THROW((void)with_row_score_shift(c, {0.5f, 0.5f}), std::invalid_argument) << "ALiBi scales the shift";
}

TEST(CaseTransforms, RowScoreShiftGivesAMaskToACaseWithout) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 3, .dk = 4, .dv = 4};
  r.mask = "causal";
  const AttentionCase causal = with_row_score_shift(generate(r), {2.0f, -3.0f});
  EXPECT_EQ(causal.mask_kind, MaskKind::causal);
  EXPECT_EQ(causal.bias(0, 1), 2.0);
  EXPECT_EQ(causal.bias(0, 2), kNegInf);
  EXPECT_EQ(causal.bias(1, 2), -3.0);
  r.mask = "none";
  const AttentionCase none = with_row_score_shift(generate(r), {2.0f, -3.0f});
  EXPECT_EQ(none.mask_kind, MaskKind::explicit_only);
  EXPECT_EQ(none.bias(0, 2), 2.0);
}

// ---- V scaled by a power of two -----------------------------------------------------

RC_GTEST_PROP(CaseTransforms, VScaledByAPowerOfTwoScalesTheOracleExactly, ()) {
  auto space = small_space();
  space.distributions = {"uniform", "normal", "flat", "same_sign_v", "peaked"};
  CaseRecipe recipe = flashcheck::testing::random_recipe(space);
  recipe.o_type = DType::f32;
  const AttentionCase c = generate(recipe);
  const int k = *rc::gen::element(-3, -1, 1, 2, 5);
  AttentionCase t;
  try {
    t = with_v_scaled_by_power_of_two(c, k);
  } catch (const std::invalid_argument&) {
    RC_DISCARD("an f16/bf16 V value near the subnormal range would lose bits");
  }
  RC_ASSERT(validate(t).empty());
  const OracleResult a = oracle_of(c), b = oracle_of(t);
  const std::string lse_diff = first_bit_difference(a.lse, b.lse, "LSE");
  if (!lse_diff.empty()) RC_FAIL(lse_diff);
  for (size_t e = 0; e < a.o.size(); ++e) {
    // Correct rounding commutes with a power-of-two scaling outside f32's subnormal range.
    if (std::fabs(a.o[e]) < 0x1p-120f) continue;
    if (b.o[e] != std::ldexp(a.o[e], k))
      RC_FAIL("O[" + std::to_string(e) + "]: " + hex(b.o[e]) + " vs 2^k * " + hex(a.o[e]));
  }
}

TEST(CaseTransforms, VScaledByAPowerOfTwoRefusesOverflowLostBitsAndQuantizedV) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 1, .lk = 4, .dk = 32, .dv = 32};
  r.v_type = DType::f16;
  AttentionCase c = generate(r);
  c.v.set(0, 0, 2, 3, 40000.0);
  EXPECT_THROW((void)with_v_scaled_by_power_of_two(c, 1), std::invalid_argument) << "80000 overflows f16";
  EXPECT_NO_THROW((void)with_v_scaled_by_power_of_two(c, -1));
  c.v.set(0, 0, 2, 3, 0x1p-24);  // f16's smallest subnormal
  EXPECT_THROW((void)with_v_scaled_by_power_of_two(c, -1), std::invalid_argument);
  const AttentionCase up = with_v_scaled_by_power_of_two(c, 3);
  EXPECT_EQ(up.v.get(0, 0, 2, 3), 0x1p-21);
  c.v.set(0, 0, 1, 0, std::numeric_limits<double>::infinity());
  EXPECT_EQ(with_v_scaled_by_power_of_two(c, 2).v.get(0, 0, 1, 0), std::numeric_limits<double>::infinity());
  r.v_quant = "ggml_q8_0";
  EXPECT_THROW((void)with_v_scaled_by_power_of_two(generate(r), 1), std::invalid_argument);
}

// ---- pre-rotated Q ------------------------------------------------------------------

TEST(CaseTransforms, PrerotatedQKeepsTheOracleAndTheBytesMatchTheNewSource) {
  for (const char* scheme : {"ggml_q8_0", "mxfp4_e2m1", "mxfp6_e3m2"}) {
    for (KvRowLayout layout : {KvRowLayout::aos, KvRowLayout::soa}) {
      SCOPED_TRACE(std::string(scheme) + " " + std::string(kv_row_layout_name(layout)));
      CaseRecipe r;
      r.shape = {.batch = 2, .hq = 4, .hkv = 2, .lq = 3, .lk = 21, .dk = 64, .dv = 32};
      r.q_type = DType::f16;
      r.k_quant = scheme;
      r.kv_layout = layout;
      r.hadamard = true;
      r.mask = "causal";
      r.sinks = true;
      const AttentionCase c = generate(r);
      const AttentionCase p = with_prerotated_q(c);
      ASSERT_EQ(validate(p), "");
      EXPECT_FALSE(p.rotated_q.has_value());
      EXPECT_FALSE(p.k_quant->hadamard);
      EXPECT_EQ(p.q_type, DType::f32);
      EXPECT_EQ(p.k_quant->bytes, c.k_quant->bytes);
      Tensor requantized_values;
      const QuantizedKv again = quantize_kv(p.k_quant->source, {scheme, layout, false}, &requantized_values);
      EXPECT_EQ(again.bytes, p.k_quant->bytes) << "the new source is what the bytes were quantized from";
      const OracleResult a = oracle_of(c), b = oracle_of(p);
      EXPECT_EQ(first_bit_difference(a.o, b.o, "O"), "");
      EXPECT_EQ(first_bit_difference(a.lse, b.lse, "LSE"), "");
    }
  }
  CaseRecipe plain;
  plain.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 1, .lk = 4, .dk = 32, .dv = 32};
  plain.k_quant = "ggml_q8_0";
  EXPECT_THROW((void)with_prerotated_q(generate(plain)), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
