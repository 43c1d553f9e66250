// The first verdict: its budget formula, each absolute rule on hand-built oracle
// results, and end to end: cpu-textbook judged against the oracle must pass, and
// deliberately spoiled outputs must fail by the right rule.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <ostream>
#include <limits>

#include "core/generator.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/contract_budget.hpp"
#include "verdict/verdict.hpp"
#include "props/support/random_recipe.hpp"

namespace flashcheck {
namespace {

constexpr double kU = 0x1p-24;
constexpr float kNegInfF = -std::numeric_limits<float>::infinity();
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// A 1x1x2x2 case worked out by hand: Q = 0 makes both scores of row 0 zero, so its
// weights are 1/2 each and O = mean(V) = (2, 3), LSE = log 2; row 1 is fully masked.
struct HandCase {
  AttentionCase c;
  OracleResult oracle;
  RunOutput exact_output;  // what a perfect subject returns
};

HandCase hand_case() {
  HandCase h;
  AttentionCase& c = h.c;
  c.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 2, .dk = 2, .dv = 2};
  c.q_type = DType::f32;
  c.k_type = c.v_type = DType::f16;
  c.mask_kind = MaskKind::explicit_only;
  c.q = Tensor::make(DType::f32, {1, 1, 2, 2});
  c.k = Tensor::make(DType::f16, {1, 1, 2, 2});
  c.v = Tensor::make(DType::f16, {1, 1, 2, 2});
  c.k.set(0, 0, 0, 0, 1.0);
  c.k.set(0, 0, 1, 1, 1.0);
  const double v[2][2] = {{1, 2}, {3, 4}};
  for (int j = 0; j < 2; ++j)
    for (int d = 0; d < 2; ++d) c.v.set(0, 0, j, d, v[j][d]);
  c.mask = Tensor::make(DType::f32, {1, 1, 2, 2});
  c.mask->set(0, 0, 1, 0, kNegInf);
  c.mask->set(0, 0, 1, 1, kNegInf);

  OracleResult& r = h.oracle;
  r.o = {2, 3, 0, 0};
  r.o_exact = {2, 3, 0, 0};
  r.lse = {static_cast<float>(std::log(2.0)), kNegInfF};
  r.lse_exact = {std::log(2.0), kNegInf};
  r.v_scale = {3, 4, 0, 0};
  r.abs_weighted_v = {2, 3, 0, 0};
  r.score_abs_max = {0, 0};
  r.score_spread = {0, 0};
  r.max_abs_score = {0, 0};
  r.visible_keys = {2, 0};
  r.fully_masked = {0, 1};

  h.exact_output.o = Tensor::make(DType::f32, {1, 1, 2, 2});
  for (int64_t e = 0; e < 4; ++e) h.exact_output.o.set(0, 0, e / 2, e % 2, r.o[static_cast<size_t>(e)]);
  h.exact_output.lse = r.lse;
  return h;
}

bool mentions(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(Budget, MatchesTheDocumentedFormulaOnTheHandCase) {
  const HandCase h = hand_case();
  const BudgetParams p;
  // Element (row 0, col 0): eta = 0, W = 4u, A = 2, O = 2, S = 3, spread = 0, n = 2.
  const double e_w = 4 * kU * (2 + 2);
  const double e_acc = ((3 + 4) * 2 + 2) * kU * (2 + 2);
  const double e_underflow = 0x1p-150 * (2 * (2 + 3 * 3) + 1);  // lambda (n (2 + (n + 1) S) + 1)
  const double expected = 2 * (e_w + e_acc + kU * 2 + e_underflow) + kFormatF32.ulp(2.0);
  EXPECT_DOUBLE_EQ(o_budget(h.c, h.oracle, 0, 0, p), expected);
  // LSE of row 0: k (W + u spread + ((3+e) n + 2) u + 2u |log 2|) + ulp(log 2).
  const double lse_expected = 2 * (4 * kU + 16 * kU + 2 * kU * std::log(2.0)) + kFormatF32.ulp(std::log(2.0));
  EXPECT_DOUBLE_EQ(lse_budget(h.c, h.oracle, 0, p), lse_expected);
}

TEST(Budget, GrowsWithEveryErrorSource) {
  const HandCase h = hand_case();
  const BudgetParams p;
  const double base = o_budget(h.c, h.oracle, 0, 1, p);
  auto grown = [&](auto change) {
    HandCase g = hand_case();
    change(g);
    return o_budget(g.c, g.oracle, 0, 1, p);
  };
  EXPECT_GT(grown([](HandCase& g) { g.oracle.visible_keys[0] = 1000; }), base);
  EXPECT_GT(grown([](HandCase& g) { g.oracle.score_spread[0] = 5; }), base);
  EXPECT_GT(grown([](HandCase& g) { g.oracle.score_abs_max[0] = 10; }), base);
  EXPECT_GT(grown([](HandCase& g) {
              g.c.softcap = 30;
              g.oracle.max_abs_score[0] = 10;
            }),
            grown([](HandCase& g) { g.oracle.max_abs_score[0] = 10; }));
  EXPECT_GT(grown([](HandCase& g) { g.c.o_type = DType::f16; }), base);
  EXPECT_GT(grown([](HandCase& g) { g.c.sinks = {0.5f}; }), base);
}

TEST(Verdict, ExactOutputPasses) {
  const HandCase h = hand_case();
  const Verdict v = judge(h.c, h.oracle, h.exact_output);
  EXPECT_TRUE(v.pass) << v.summary();
  EXPECT_EQ(v.summary(), "pass");
  EXPECT_EQ(v.o_metrics.abs_error.max, 0.0);
  EXPECT_LT(v.worst_budget_ratio, 0.01) << "only LSE's rounding to f32 is left";
  EXPECT_TRUE(v.has_lse);
  EXPECT_EQ(v.o_metrics.elements, 2) << "fully masked rows are left out of the metrics";
  EXPECT_EQ(v.lse_metrics.elements, 1);
  EXPECT_EQ(v.o_metrics.nmse, 0.0);
}

TEST(Verdict, ErrorIsMeasuredAgainstTheBudget) {
  const HandCase h = hand_case();
  const double budget = ContractBudget(h.c, h.oracle, default_contract()).o(0, 1);
  for (double fraction : {0.5, 2.0}) {
    SCOPED_TRACE(fraction);
    RunOutput out = h.exact_output;
    out.o.set(0, 0, 0, 1, 3.0 + fraction * budget);  // rounds to f32: the ratio is taken from what was stored
    const double ratio = (out.o.get(0, 0, 0, 1) - 3.0) / budget;
    ASSERT_NEAR(ratio, fraction, 0.05);
    const Verdict v = judge(h.c, h.oracle, out);
    EXPECT_DOUBLE_EQ(v.worst_budget_ratio, ratio);
    EXPECT_EQ(v.pass, ratio <= 1.0) << v.summary();
    ASSERT_FALSE(v.worst.empty());
    EXPECT_EQ(v.worst[0].col, 1);
    if (!v.pass) {
      EXPECT_TRUE(mentions(v.summary(), "1 of 2 O element(s) exceed the fp32 contract's budget")) << v.summary();
    }
  }
}

TEST(Verdict, InfinityWhereTheOracleIsNanFailsAsADifferentNonFiniteValue) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = 3, .lk = 40, .dk = 32, .dv = 32};
  r.k_quant = r.v_quant = "mxfp8_e4m3";
  r.v_nan_scale = true;  // V's first block at the last key is NaN: every row's O[0..31] is NaN
  const AttentionCase c = generate(r);
  const OracleResult oracle = run_oracle(c);
  ASSERT_TRUE(std::isnan(oracle.o[0]));
  RunOutput out;
  out.o = Tensor::make(DType::f32, {1, 2, 3, 32});
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t d = 0; d < 32; ++d) out.o.set(0, h, i, d, oracle.o[static_cast<size_t>((h * 3 + i) * 32 + d)]);
  EXPECT_TRUE(judge(c, oracle, out).pass) << "the oracle's own NaN must be accepted";
  out.o.set(0, 0, 1, 0, INFINITY);
  const Verdict v = judge(c, oracle, out);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "FAIL: 1 non-finite value(s) other than the oracle's")) << v.summary();
}

TEST(Verdict, NonFiniteWhereTheOracleIsFiniteFails) {
  const HandCase h = hand_case();
  RunOutput out = h.exact_output;
  out.o.set(0, 0, 0, 0, std::nan(""));
  const Verdict v = judge(h.c, h.oracle, out);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "FAIL: 1 non-finite value(s) where the oracle is finite")) << v.summary();
  EXPECT_TRUE(mentions(v.summary(), "O[b=0 h=0 i=0 col=0]")) << v.summary();
  EXPECT_TRUE(std::isinf(v.worst_budget_ratio));
  EXPECT_EQ(v.o_metrics.nonfinite_where_finite, 1);
  ASSERT_FALSE(v.worst.empty());
  EXPECT_TRUE(std::isnan(v.worst[0].got));
}

TEST(Verdict, FullyMaskedRowsMustBeZeroWithMinusInfinityLse) {
  const HandCase h = hand_case();
  RunOutput signed_zero = h.exact_output;
  signed_zero.o.set(0, 0, 1, 0, -0.0);
  EXPECT_TRUE(judge(h.c, h.oracle, signed_zero).pass) << "-0 is a zero";

  RunOutput nonzero = h.exact_output;
  nonzero.o.set(0, 0, 1, 1, 1e-30);
  Verdict v = judge(h.c, h.oracle, nonzero);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "fully masked rows")) << v.summary();
  EXPECT_TRUE(mentions(v.summary(), "O[b=0 h=0 i=1 col=1]")) << v.summary();

  RunOutput finite_lse = h.exact_output;
  finite_lse.lse[1] = 0.0f;
  v = judge(h.c, h.oracle, finite_lse);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "LSE[b=0 h=0 i=1]")) << v.summary();
}

// The contract, not the oracle, says what a fully masked row holds: MLX's NaN O and -inf LSE.
TEST(Verdict, MaskedNanContractAsksForNanOAndNegativeInfinityLse) {
  const HandCase h = hand_case();
  const Contract& mlx = *find_contract("fp32-masked-nan");
  RunOutput nan_row = h.exact_output;
  nan_row.o.set(0, 0, 1, 0, std::nan(""));
  nan_row.o.set(0, 0, 1, 1, std::nan(""));
  EXPECT_TRUE(judge(h.c, h.oracle, nan_row, mlx).pass) << judge(h.c, h.oracle, nan_row, mlx).summary();
  EXPECT_FALSE(judge(h.c, h.oracle, nan_row).pass) << "the default contract asks for zeros";
  const Verdict zeros = judge(h.c, h.oracle, h.exact_output, mlx);
  EXPECT_FALSE(zeros.pass);
  EXPECT_TRUE(mentions(zeros.summary(), "O = NaN, LSE = -inf")) << zeros.summary();
  RunOutput nan_lse = nan_row;
  nan_lse.lse[1] = std::nanf("");
  EXPECT_FALSE(judge(h.c, h.oracle, nan_lse, mlx).pass) << "LSE of a fully masked row is -inf, not NaN";
}

// A contract with no fully masked row policy does not judge those rows at all.
TEST(Verdict, UnspecifiedPolicyLeavesFullyMaskedRowsUnjudged) {
  const HandCase h = hand_case();
  const Contract& sentinel = *find_contract("fp16-operands-sentinel-mask");
  RunOutput mean_row = h.exact_output;
  mean_row.o.set(0, 0, 1, 0, 2.0);
  mean_row.o.set(0, 0, 1, 1, 3.0);
  mean_row.lse[1] = -65504.0f;
  EXPECT_TRUE(judge(h.c, h.oracle, mean_row, sentinel).pass) << judge(h.c, h.oracle, mean_row, sentinel).summary();
  EXPECT_FALSE(judge(h.c, h.oracle, mean_row).pass);
}

// A base-2 LSE contract expects LSE / ln 2 and fails the natural one (and vice versa).
TEST(Verdict, LseBaseComesFromTheContract) {
  const HandCase h = hand_case();
  const Contract& base2 = *find_contract("fp32-lse-base2");
  RunOutput log2_lse = h.exact_output;
  log2_lse.lse[0] = 1.0f;  // log2(2): the two equal weights
  EXPECT_TRUE(judge(h.c, h.oracle, log2_lse, base2).pass) << judge(h.c, h.oracle, log2_lse, base2).summary();
  EXPECT_FALSE(judge(h.c, h.oracle, log2_lse).pass);
  EXPECT_FALSE(judge(h.c, h.oracle, h.exact_output, base2).pass);
}

TEST(Verdict, LseIsJudgedOnlyWhenGiven) {
  const HandCase h = hand_case();
  RunOutput no_lse = h.exact_output;
  no_lse.lse.clear();
  const Verdict v = judge(h.c, h.oracle, no_lse);
  EXPECT_TRUE(v.pass);
  EXPECT_FALSE(v.has_lse);

  RunOutput bad_lse = h.exact_output;
  bad_lse.lse[0] += 1e-3f;
  const Verdict bad = judge(h.c, h.oracle, bad_lse);
  EXPECT_FALSE(bad.pass);
  EXPECT_TRUE(mentions(bad.summary(), "1 of 1 LSE element(s) exceed the fp32 contract's budget")) << bad.summary();
}

TEST(Verdict, MalformedOutputFailsWithoutCrashing) {
  const HandCase h = hand_case();
  RunOutput wrong_shape = h.exact_output;
  wrong_shape.o = Tensor::make(DType::f32, {1, 1, 2, 3});
  EXPECT_TRUE(mentions(judge(h.c, h.oracle, wrong_shape).summary(), "shape"));
  RunOutput wrong_type = h.exact_output;
  wrong_type.o = Tensor::make(DType::f16, {1, 1, 2, 2});
  EXPECT_TRUE(mentions(judge(h.c, h.oracle, wrong_type).summary(), "dtype"));
  RunOutput wrong_lse = h.exact_output;
  wrong_lse.lse.push_back(0.0f);
  EXPECT_TRUE(mentions(judge(h.c, h.oracle, wrong_lse).summary(), "LSE has 3 values"));
}

TEST(Verdict, OracleOfAnotherCaseIsAHarnessError) {
  HandCase h = hand_case();
  h.oracle.score_spread.pop_back();
  EXPECT_THROW(judge(h.c, h.oracle, h.exact_output), std::invalid_argument);
}

TEST(Verdict, MismatchDescriptionGivesDecimalAndHex) {
  const Mismatch m{"O", 1, 2, 3, 4, 2.5, 2.0, 2.0000001, 0.125};
  const std::string d = m.describe();
  EXPECT_TRUE(mentions(d, "O[b=1 h=2 i=3 col=4]")) << d;
  EXPECT_TRUE(mentions(d, "2.5 (0x1.4p+1)")) << d;
  EXPECT_TRUE(mentions(d, "expected 2 (0x1p+1)")) << d;
  EXPECT_TRUE(mentions(d, "budget 0.125 (0x1p-3)")) << d;
  const Mismatch lse{"LSE", 0, 1, 2, 0, 1.0, 1.0, 1.0, 0.5};
  EXPECT_TRUE(mentions(lse.describe(), "LSE[b=0 h=1 i=2]:")) << lse.describe();
}

}  // namespace

// How RapidCheck prints a counterexample recipe.
inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

// ---- End to end: cpu-textbook against the oracle ----

struct Recipe {
  const char* name;
  CaseRecipe recipe;
};

CaseRecipe base_recipe(int64_t lq, int64_t lk, int64_t d, const char* distribution, const char* mask, uint64_t seed) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = lq, .lk = lk, .dk = d, .dv = d};
  r.distribution = distribution;
  r.mask = mask;
  r.seed = seed;
  return r;
}

std::vector<Recipe> end_to_end_recipes() {
  std::vector<Recipe> out;
  for (const auto& dist : all_distributions()) {
    const char* mask = dist.needs_masked_keys ? "random" : "causal";
    out.push_back({dist.name.data(), base_recipe(8, 48, 32, dist.name.data(), mask, 101)});
  }
  for (const auto& mask : all_mask_patterns()) {
    CaseRecipe r = base_recipe(40, 72, 16, "normal", mask.name.data(), 202);
    r.window = 9;
    out.push_back({mask.name.data(), r});
  }
  CaseRecipe gqa = base_recipe(6, 64, 64, "normal", "causal", 303);
  gqa.shape.hq = 8;
  gqa.shape.hkv = 2;
  gqa.q_type = DType::f16;
  out.push_back({"gqa_f16_q", gqa});
  CaseRecipe softcap = base_recipe(6, 96, 64, "large_scores", "none", 304);
  softcap.softcap = 30.0f;
  out.push_back({"softcap", softcap});
  CaseRecipe alibi = base_recipe(16, 128, 32, "normal", "causal", 305);
  alibi.shape.hq = 4;
  alibi.shape.hkv = 4;
  alibi.max_bias = 8.0f;
  out.push_back({"alibi", alibi});
  CaseRecipe alibi_mask = base_recipe(16, 64, 32, "uniform", "random", 306);
  alibi_mask.max_bias = 8.0f;
  out.push_back({"alibi_explicit_mask", alibi_mask});
  CaseRecipe sinks = base_recipe(16, 40, 32, "normal", "masked_rows", 307);
  sinks.sinks = true;
  out.push_back({"sinks_masked_rows", sinks});
  CaseRecipe strided = base_recipe(8, 64, 48, "normal", "none", 308);
  strided.layout = Layout::seq_major;
  strided.k_type = strided.v_type = DType::bf16;
  out.push_back({"seq_major_bf16_kv", strided});
  CaseRecipe padded = base_recipe(8, 64, 40, "peaked", "window", 309);
  padded.window = 17;
  padded.layout = Layout::padded_rows;
  padded.shape.dv = 24;
  out.push_back({"padded_dk_ne_dv", padded});
  for (DType o : {DType::f16, DType::bf16}) {
    CaseRecipe narrow = base_recipe(8, 64, 32, "large_v", "causal", 310);
    narrow.o_type = o;
    out.push_back({o == DType::f16 ? "f16_out" : "bf16_out", narrow});
  }
  CaseRecipe long_keys = base_recipe(2, 2048, 64, "same_sign_v", "none", 311);
  out.push_back({"long_flat_same_sign", long_keys});
  return out;
}

struct Judged {
  AttentionCase c;
  OracleResult oracle;
  RunOutput out;
};

Judged run_both(const CaseRecipe& recipe) {
  Judged j{generate(recipe), {}, {}};
  OracleOptions opts;
  opts.out_type = j.c.o_type;
  j.oracle = run_oracle(j.c, opts);
  auto backend = make_cpu_textbook_backend();
  RunResult r = run_checked(*backend, j.c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error("cpu-textbook: " + r.message);
  j.out = std::move(r.output);
  return j;
}

TEST(EndToEnd, CpuTextbookPassesItsOwnContract) {
  for (const auto& [name, recipe] : end_to_end_recipes()) {
    SCOPED_TRACE(std::string(name) + ": " + describe(recipe));
    const Judged j = run_both(recipe);
    const Verdict v = judge(j.c, j.oracle, j.out);
    EXPECT_TRUE(v.pass) << v.summary();
    EXPECT_TRUE(v.has_lse);
    EXPECT_LT(v.o_metrics.nmse, 5e-4) << "test-backend-ops' threshold";
    std::printf("  %-22s worst error/budget %.3g  O max ulp %.0f  NMSE %.3g\n", name, v.worst_budget_ratio,
                v.o_metrics.ulp_error.max, v.o_metrics.nmse);
  }
}

// Any recipe the generator can make, within a size the suite can afford.
rc::Gen<CaseRecipe> any_recipe() {
  return rc::gen::exec([] {
    flashcheck::testing::RecipeSpace space;
    space.max_lq = 23;
    space.max_lk = 199;
    space.max_dk = space.max_dv = 96;
    space.softcaps = {0.0f, 10.0f, 50.0f};
    space.max_biases = {0.0f, 0.0f, 8.0f};
    space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
    space.max_seed = uint64_t{1} << 40;
    return flashcheck::testing::random_recipe(space);
  });
}

RC_GTEST_PROP(EndToEnd, CpuTextbookPassesOnRandomRecipes, ()) {
  const CaseRecipe recipe = *any_recipe();
  RC_TAG(recipe.distribution);
  const Judged j = run_both(recipe);
  const Verdict v = judge(j.c, j.oracle, j.out);
  if (!v.pass) RC_FAIL(describe(recipe) + "\n" + v.summary());
}

// A subject one element off by 1e-3 relative: far above an fp32 budget, far below NMSE's radar.
TEST(EndToEnd, SmallRelativeErrorFailsTheBudgetButNotNmse) {
  const Judged j = run_both(base_recipe(16, 64, 32, "normal", "causal", 401));
  RunOutput out = j.out;
  const double o = out.o.get(0, 1, 9, 5);
  out.o.set(0, 1, 9, 5, o * (1 + 1e-3));
  const Verdict v = judge(j.c, j.oracle, out);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "1 of")) << v.summary();
  EXPECT_TRUE(mentions(v.summary(), "exceed the fp32 contract's budget")) << v.summary();
  ASSERT_FALSE(v.worst.empty());
  EXPECT_EQ(v.worst[0].h, 1);
  EXPECT_EQ(v.worst[0].i, 9);
  EXPECT_EQ(v.worst[0].col, 5);
  EXPECT_LT(v.o_metrics.nmse, 5e-4);
  EXPECT_LE(v.worst.size(), 5u);
}

TEST(EndToEnd, NanInTheOutputFailsTheNonFiniteRule) {
  const Judged j = run_both(base_recipe(16, 64, 32, "normal", "causal", 402));
  RunOutput out = j.out;
  out.o.set(0, 0, 3, 7, std::nan(""));
  out.o.set(0, 1, 4, 2, std::numeric_limits<double>::infinity());
  const Verdict v = judge(j.c, j.oracle, out);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "FAIL: 2 non-finite value(s) where the oracle is finite")) << v.summary();
  EXPECT_TRUE(mentions(v.summary(), "O[b=0 h=0 i=3 col=7]")) << v.summary();
}

TEST(EndToEnd, NonZeroFullyMaskedRowFailsTheMaskedRowRule) {
  const Judged j = run_both(base_recipe(32, 48, 16, "normal", "masked_rows", 403));
  int64_t masked_row = -1;
  for (size_t r = 0; r < j.oracle.fully_masked.size() && masked_row < 0; ++r)
    if (j.oracle.fully_masked[r]) masked_row = static_cast<int64_t>(r);
  ASSERT_GE(masked_row, 0) << "masked_rows must hide at least one row";
  ASSERT_TRUE(judge(j.c, j.oracle, j.out).pass);
  RunOutput out = j.out;
  const int64_t lq = j.c.shape.lq;
  out.o.set(0, (masked_row / lq) % j.c.shape.hq, masked_row % lq, 0, 0x1p-20);
  const Verdict v = judge(j.c, j.oracle, out);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(mentions(v.summary(), "fully masked rows")) << v.summary();
}

// The worst elements are ordered and limited to a few.
TEST(EndToEnd, WorstListIsOrderedAndShort) {
  const Judged j = run_both(base_recipe(16, 64, 32, "uniform", "none", 404));
  RunOutput out = j.out;
  // Error i+1 times ten budgets at row i: far above the kernel's own error, so the order is known.
  const ContractBudget budget(j.c, j.oracle, default_contract());
  for (int64_t i = 0; i < 16; ++i)
    out.o.set(0, 0, i, 3, out.o.get(0, 0, i, 3) + 10.0 * double(i + 1) * budget.o(i, 3));
  const Verdict v = judge(j.c, j.oracle, out);
  ASSERT_EQ(v.worst.size(), 5u);
  for (size_t k = 0; k < v.worst.size(); ++k) EXPECT_EQ(v.worst[k].i, 15 - static_cast<int64_t>(k));
}

}  // namespace
}  // namespace flashcheck
