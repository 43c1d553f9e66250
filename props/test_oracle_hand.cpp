// Cases whose answer is known by hand (one visible key, equal scores, exact ties,
// masked rows, sinks, special values, symmetries). Each is checked against its
// hand-derived value and, where applicable, against the MPFR reference too.
#include <gtest/gtest.h>
#include <mpfr.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/support/mpfr_reference.hpp"

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string show(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", x, x);
  return buf;
}

// A case with zeroed tensors of the given shape, scale 1, no mask.
AttentionCase make_case(CaseShape shape, DType q_type, DType k_type, DType v_type) {
  AttentionCase c;
  c.family = "hand";
  c.shape = shape;
  c.q_type = q_type;
  c.k_type = k_type;
  c.v_type = v_type;
  c.o_type = DType::f32;
  c.q = Tensor::make(q_type, {shape.batch, shape.hq, shape.lq, shape.dk});
  c.k = Tensor::make(k_type, {shape.batch, shape.hkv, shape.lk, shape.dk});
  c.v = Tensor::make(v_type, {shape.batch, shape.hkv, shape.lk, shape.dv});
  return c;
}

void set_row(Tensor& t, int64_t head, int64_t row, std::initializer_list<double> values) {
  int64_t d = 0;
  for (double x : values) {
    t.set(0, head, row, d, x);
    const double stored = t.get(0, head, row, d++);
    ASSERT_TRUE(stored == x || (std::isnan(stored) && std::isnan(x)))
        << "hand value " << show(x) << " is not exact in " << dtype_name(t.dtype);
  }
}

// Explicit mask over a single head: -inf where `hidden(i, j)`, else 0.
template <class Hidden>
void set_mask(AttentionCase& c, Hidden hidden) {
  Tensor m = Tensor::make(DType::f32, {1, 1, c.shape.lq, c.shape.lk});
  for (int64_t i = 0; i < c.shape.lq; ++i)
    for (int64_t j = 0; j < c.shape.lk; ++j) m.set(0, 0, i, j, hidden(i, j) ? -kInf : 0.0);
  c.mask = std::move(m);
  c.mask_kind = MaskKind::explicit_only;
}

OracleOptions options_for(const AttentionCase& c, FullyMaskedPolicy policy = FullyMaskedPolicy::zeros_neg_inf_lse) {
  OracleOptions opts;
  opts.out_type = c.o_type;
  opts.fully_masked = policy;
  return opts;
}

// The oracle's outputs, and that they agree with the independent reference.
OracleResult oracle_checked(const AttentionCase& c, const OracleOptions& opts) {
  OracleResult r = run_oracle(c, opts);
  const auto ref = reference::mpfr_reference(c, opts.out_type, opts.fully_masked);
  EXPECT_EQ(reference::mismatches(ref, c.shape, {r.o, r.lse, r.o_exact, r.lse_exact}), "");
  EXPECT_EQ(r.stats.unresolved_elements, 0);
  return r;
}

template <class T>
void expect_same_bits(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t n = 0; n < a.size(); ++n)
    if (std::memcmp(&a[n], &b[n], sizeof(T)) != 0) {
      ADD_FAILURE() << what << "[" << n << "]: " << show(static_cast<double>(a[n])) << " vs "
                    << show(static_cast<double>(b[n]));
      return;
    }
}

void expect_identical_results(const OracleResult& a, const OracleResult& b) {
  expect_same_bits(a.o, b.o, "o");
  expect_same_bits(a.lse, b.lse, "lse");
  expect_same_bits(a.o_exact, b.o_exact, "o_exact");
  expect_same_bits(a.lse_exact, b.lse_exact, "lse_exact");
  EXPECT_EQ(a.fully_masked, b.fully_masked);
  EXPECT_EQ(a.visible_keys, b.visible_keys);
}

// The correctly rounded f32 value of log(n) + offset, straight from MPFR.
float log_rounded(unsigned long n, double offset = 0.0) {
  mpfr_t x;
  mpfr_init2(x, 256);
  mpfr_log_ui(x, n, MPFR_RNDN);
  mpfr_add_d(x, x, offset, MPFR_RNDN);
  const float f = mpfr_get_flt(x, MPFR_RNDN);
  mpfr_clear(x);
  return f;
}

TEST(OracleHand, OneVisibleKeyReturnsItsValueRowAndScore) {
  AttentionCase c = make_case({1, 1, 1, 1, 5, 2, 3}, DType::f32, DType::f16, DType::f16);
  c.scale = 0.5f;
  set_row(c.q, 0, 0, {0.5, 1.25});
  for (int64_t j = 0; j < 5; ++j) set_row(c.k, 0, j, {static_cast<double>(j) - 2.0, 3.0});
  for (int64_t j = 0; j < 5; ++j) set_row(c.v, 0, j, {static_cast<double>(j), -3.25, 1000.5});
  set_row(c.k, 0, 2, {2.0, -1.0});
  set_row(c.v, 0, 2, {1.5, -3.25, 1000.5});
  set_mask(c, [](int64_t, int64_t j) { return j != 2; });
  const OracleResult r = oracle_checked(c, options_for(c));
  EXPECT_EQ(r.o, (std::vector<float>{1.5f, -3.25f, 1000.5f}));
  EXPECT_EQ(r.lse[0], -0.125f);  // 0.5 * (0.5 * 2 + 1.25 * -1)
  EXPECT_EQ(r.visible_keys[0], 1);
}

TEST(OracleHand, EqualScoresGiveTheMeanOfV) {
  AttentionCase c = make_case({1, 1, 1, 1, 4, 2, 2}, DType::f32, DType::f16, DType::f32);
  set_row(c.q, 0, 0, {0.75, -0.5});
  const double v0[] = {1, 2, 3, 6}, v1[] = {0.5, 0.25, 0.125, 0.125};
  for (int64_t j = 0; j < 4; ++j) {
    set_row(c.k, 0, j, {1.0, 1.0});  // every score 0.25
    set_row(c.v, 0, j, {v0[j], v1[j]});
  }
  const OracleResult r = oracle_checked(c, options_for(c));
  EXPECT_EQ(r.o, (std::vector<float>{3.0f, 0.25f}));
  EXPECT_EQ(r.o_exact, (std::vector<double>{3.0, 0.25}));
  EXPECT_EQ(r.lse[0], log_rounded(4, 0.25));
}

// Means that are exact midpoints of the output format: the real value is the tie
// itself, which must round to even, and only the exact argument can settle it.
TEST(OracleHand, MidpointMeansRoundToEvenThroughTheExactPath) {
  AttentionCase c = make_case({1, 1, 1, 1, 2, 1, 3}, DType::f32, DType::f16, DType::f32);
  set_row(c.q, 0, 0, {1.0});
  const double u = std::ldexp(1.0, -23);  // f32 ulp at 1
  set_row(c.k, 0, 0, {0.5});
  set_row(c.k, 0, 1, {0.5});
  set_row(c.v, 0, 0, {1.0, 1.0 + u, -1.0});
  set_row(c.v, 0, 1, {1.0 + u, 1.0 + 2 * u, -(1.0 + u)});
  const OracleResult r = oracle_checked(c, options_for(c));
  EXPECT_EQ(r.o_exact, (std::vector<double>{1.0 + u / 2, 1.0 + 1.5 * u, -(1.0 + u / 2)}));
  EXPECT_EQ(r.o[0], 1.0f) << show(r.o[0]);                     // odd neighbour is 1 + u
  EXPECT_EQ(r.o[1], static_cast<float>(1.0 + 2 * u)) << show(r.o[1]);  // 1 + 2u is the even one
  EXPECT_EQ(r.o[2], -1.0f) << show(r.o[2]);
  EXPECT_GT(r.stats.exact_path_elements, 0);

  // The same tie one format down: f32 values whose mean is an f16 midpoint.
  c.o_type = DType::f16;
  set_row(c.v, 0, 0, {1.0, 2050.0, 1.0});
  set_row(c.v, 0, 1, {1.0 + std::ldexp(1.0, -10), 2052.0, 1.0 + 3 * std::ldexp(1.0, -10)});
  const OracleResult h = oracle_checked(c, options_for(c));
  EXPECT_EQ(h.o[0], 1.0f) << show(h.o[0]);
  EXPECT_EQ(h.o[1], 2052.0f) << show(h.o[1]);  // 2051: between 2050 (odd significand) and 2052
  EXPECT_EQ(h.o[2], static_cast<float>(1.0 + std::ldexp(1.0, -9))) << show(h.o[2]);
  EXPECT_GT(h.stats.exact_path_elements, 0);
}

// A value sitting on a midpoint plus a perturbation no working precision can see
// (e^-2000): the perturbation's sign, not round-to-even, decides. Huge score gaps
// in generated cases produce exactly this.
TEST(OracleHand, InvisiblePerturbationsStillDecideMidpoints) {
  AttentionCase c = make_case({1, 1, 1, 1, 2, 1, 2}, DType::f32, DType::f32, DType::f32);
  c.o_type = DType::bf16;
  set_row(c.q, 0, 0, {1.0});
  set_row(c.k, 0, 0, {0.0});
  set_row(c.k, 0, 1, {-2000.0});
  const double lower_mid = 1 + std::ldexp(1.0, -8);      // between 1 (even) and 1 + 2^-7
  const double upper_mid = 1 + 3 * std::ldexp(1.0, -8);  // between 1 + 2^-7 and 1 + 2^-6 (even)
  set_row(c.v, 0, 0, {lower_mid, upper_mid});
  set_row(c.v, 0, 1, {2.0, 0.0});  // pulls column 0 up and column 1 down
  const OracleResult o = oracle_checked(c, options_for(c));
  EXPECT_EQ(o.o[0], 1.0f + std::ldexp(1.0f, -7)) << show(o.o[0]);
  EXPECT_EQ(o.o[1], 1.0f + std::ldexp(1.0f, -7)) << show(o.o[1]);

  // LSE = s0 + log1p(e^-1000) with s0 = (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24, an f32 midpoint.
  AttentionCase l = make_case({1, 1, 1, 1, 2, 1, 1}, DType::f32, DType::f32, DType::f32);
  set_row(l.q, 0, 0, {1 + std::ldexp(1.0, -12)});
  set_row(l.k, 0, 0, {1 + std::ldexp(1.0, -12)});
  set_row(l.k, 0, 1, {-1000.0});
  set_row(l.v, 0, 0, {1.0});
  set_row(l.v, 0, 1, {1.0});
  const OracleResult r = oracle_checked(l, options_for(l));
  EXPECT_EQ(r.lse[0], static_cast<float>(1 + std::ldexp(1.0, -11) + std::ldexp(1.0, -23))) << show(r.lse[0]);
}

TEST(OracleHand, TwoKeysWithKnownWeights) {
  // Scores 0 and s1 ~ log 3: weights 1 / (1 + e^s1) ~ 1/4 and e^s1 / (1 + e^s1) ~ 3/4.
  AttentionCase c = make_case({1, 1, 1, 1, 2, 1, 3}, DType::f32, DType::f32, DType::f32);
  const double s1 = static_cast<float>(std::log(3.0));
  set_row(c.q, 0, 0, {1.0});
  set_row(c.k, 0, 0, {0.0});
  set_row(c.k, 0, 1, {s1});
  set_row(c.v, 0, 0, {1.0, 0.0, 1.0});
  set_row(c.v, 0, 1, {0.0, 1.0, -1.0});
  const OracleResult r = oracle_checked(c, options_for(c));
  const long double e = std::exp(static_cast<long double>(s1));
  const long double want[] = {1 / (1 + e), e / (1 + e), (1 - e) / (1 + e)};
  for (int col = 0; col < 3; ++col) {
    EXPECT_NEAR(static_cast<double>(want[col]), r.o_exact[static_cast<size_t>(col)], 1e-16) << "column " << col;
    EXPECT_EQ(r.o[static_cast<size_t>(col)], static_cast<float>(want[col])) << "column " << col;
  }
  EXPECT_NEAR(r.o_exact[0], 0.25, 1e-7);
  EXPECT_EQ(r.lse[0], static_cast<float>(std::log(1 + e)));
}

TEST(OracleHand, FullyMaskedRowsFollowThePolicy) {
  AttentionCase c = make_case({1, 1, 1, 2, 3, 2, 2}, DType::f32, DType::f16, DType::f16);
  for (int64_t j = 0; j < 3; ++j) {
    set_row(c.k, 0, j, {1.0, static_cast<double>(j)});
    set_row(c.v, 0, j, {static_cast<double>(j), 2.0});
  }
  set_row(c.q, 0, 0, {1.0, 1.0});
  set_row(c.q, 0, 1, {0.5, -1.0});
  set_mask(c, [](int64_t i, int64_t) { return i == 0; });  // row 0 sees nothing

  const OracleResult zeros = oracle_checked(c, options_for(c));
  EXPECT_EQ(zeros.fully_masked, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(zeros.o[0], 0.0f);
  EXPECT_EQ(zeros.o[1], 0.0f);
  EXPECT_EQ(zeros.lse[0], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isfinite(zeros.lse[1]));

  const OracleResult nan = oracle_checked(c, options_for(c, FullyMaskedPolicy::nan));
  EXPECT_TRUE(std::isnan(nan.o[0]) && std::isnan(nan.o[1]) && std::isnan(nan.lse[0]));
  EXPECT_EQ(nan.o[2], zeros.o[2]);
  EXPECT_EQ(nan.lse[1], zeros.lse[1]);
}

TEST(OracleHand, SinkAloneGivesZeroOutputAndItsOwnLse) {
  AttentionCase c = make_case({1, 2, 1, 1, 3, 2, 2}, DType::f32, DType::f16, DType::f16);
  for (int64_t j = 0; j < 3; ++j) set_row(c.v, 0, j, {1.0, -2.0});
  set_mask(c, [](int64_t, int64_t) { return true; });
  c.sinks = {1.75f, -3.5f};
  const OracleResult r = oracle_checked(c, options_for(c));
  EXPECT_EQ(r.fully_masked, (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(r.o, (std::vector<float>(4, 0.0f)));
  EXPECT_EQ(r.lse, (std::vector<float>{1.75f, -3.5f}));
}

TEST(OracleHand, GroupedQueryAttentionEqualsReplicatedHeads) {
  CaseRecipe recipe;
  recipe.shape = {2, 4, 2, 5, 23, 12, 9};
  recipe.mask = "random";
  recipe.softcap = 30.0f;
  recipe.max_bias = 8.0f;
  recipe.sinks = true;
  recipe.layout = Layout::seq_major;
  recipe.seed = 77;
  const AttentionCase gqa = generate(recipe);
  AttentionCase mha = gqa;
  mha.shape.hkv = mha.shape.hq;
  mha.k = Tensor::make(gqa.k_type, {2, 4, 23, 12});
  mha.v = Tensor::make(gqa.v_type, {2, 4, 23, 9});
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t j = 0; j < 23; ++j) {
        for (int64_t d = 0; d < 12; ++d) mha.k.set(b, h, j, d, gqa.k.get(b, gqa.kv_head(h), j, d));
        for (int64_t d = 0; d < 9; ++d) mha.v.set(b, h, j, d, gqa.v.get(b, gqa.kv_head(h), j, d));
      }
  expect_identical_results(oracle_checked(gqa, options_for(gqa)), oracle_checked(mha, options_for(mha)));
}

TEST(OracleHand, NonFiniteValuesAtMaskedKeysDoNotLeak) {
  AttentionCase clean = make_case({1, 2, 1, 3, 6, 4, 3}, DType::f32, DType::f16, DType::bf16);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 3; ++i)
      set_row(clean.q, h, i, {0.25 * static_cast<double>(i + h), -1.0, 0.5, 2.0});
  for (int64_t j = 0; j < 6; ++j) {
    set_row(clean.k, 0, j, {static_cast<double>(j) / 4, 1.0, -0.5, static_cast<double>(j % 3)});
    set_row(clean.v, 0, j, {static_cast<double>(j), -1.5, 0.375 * static_cast<double>(j)});
  }
  set_mask(clean, [](int64_t, int64_t j) { return j == 1 || j == 4; });
  AttentionCase poisoned = clean;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  set_row(poisoned.k, 0, 1, {kInf, -kInf, nan, 1.0});
  set_row(poisoned.v, 0, 1, {nan, kInf, -kInf});
  set_row(poisoned.k, 0, 4, {nan, nan, nan, nan});
  set_row(poisoned.v, 0, 4, {-kInf, -kInf, nan});
  expect_identical_results(oracle_checked(clean, options_for(clean)), run_oracle(poisoned, options_for(poisoned)));
}

TEST(OracleHand, HugeScoresAndValuesNearTheF16MaximumStayFinite) {
  AttentionCase c = make_case({1, 1, 1, 2, 4, 8, 3}, DType::f32, DType::f16, DType::f16);
  c.o_type = DType::f16;
  for (int64_t i = 0; i < 2; ++i)
    set_row(c.q, 0, i, {300, -300, 300, -300, 300, -300, 300, i == 0 ? -300.0 : 300.0});
  set_row(c.k, 0, 0, {500, -500, 500, -500, 500, -500, 500, -500});  // score +-1.2e6 or 8e5
  set_row(c.k, 0, 1, {-500, 500, -500, 500, -500, 500, -500, 500});
  set_row(c.k, 0, 2, {500, -500, 500, -500, 500, -500, 500, 496});
  set_row(c.k, 0, 3, {250, -250, 250, -250, 250, -250, 250, -250});
  set_row(c.v, 0, 0, {65504, -65504, 65504});
  set_row(c.v, 0, 1, {-65504, 65504, 65504});
  set_row(c.v, 0, 2, {65504, 65504, 65472});
  set_row(c.v, 0, 3, {65472, -65504, 65504});
  const OracleResult r = oracle_checked(c, options_for(c));
  EXPECT_GT(r.max_abs_score[0], 1e5);
  for (float o : r.o) EXPECT_TRUE(std::isfinite(o) && std::fabs(o) <= 65504.0f) << show(o);
  for (float l : r.lse) EXPECT_TRUE(std::isfinite(l) && l > 1e5f) << show(l);
}

TEST(OracleHand, LseOfEqualZeroScoresIsCorrectlyRoundedLogN) {
  for (int64_t n = 1; n <= 40; ++n) {
    AttentionCase c = make_case({1, 1, 1, 1, n, 3, 1}, DType::f32, DType::f16, DType::f16);
    for (int64_t j = 0; j < n; ++j) {
      set_row(c.k, 0, j, {static_cast<double>(j), -1.0, 0.5});  // Q = 0: every score is 0
      set_row(c.v, 0, j, {1.0});
    }
    const OracleResult r = run_oracle(c, options_for(c));
    EXPECT_EQ(r.lse[0], log_rounded(static_cast<unsigned long>(n))) << "n = " << n << ": " << show(r.lse[0]);
    EXPECT_EQ(r.o[0], 1.0f);
  }
}

TEST(OracleHand, ThreadCountDoesNotChangeAnything) {
  // A prefill shape (rows of one kv head in parallel) and a decode shape with one row
  // per kv head (kv heads in parallel): both schedules must give identical results.
  for (const CaseShape shape : {CaseShape{2, 4, 2, 6, 40, 24, 24}, CaseShape{2, 4, 4, 1, 40, 24, 24}}) {
    CaseRecipe recipe;
    recipe.shape = shape;
    recipe.distribution = "large_scores";
    recipe.mask = "random";
    recipe.softcap = 50.0f;
    recipe.sinks = true;
    recipe.o_type = DType::bf16;
    recipe.seed = 5;
    const AttentionCase c = generate(recipe);
    OracleOptions one = options_for(c);
    one.threads = 1;
    const OracleResult base = run_oracle(c, one);
    for (int threads : {2, 3, 8, 0}) {
      OracleOptions many = one;
      many.threads = threads;
      const OracleResult r = run_oracle(c, many);
      SCOPED_TRACE("Lq = " + std::to_string(shape.lq) + ", threads = " + std::to_string(threads));
      expect_identical_results(base, r);
      EXPECT_EQ(base.stats.escalated_elements, r.stats.escalated_elements);
      EXPECT_EQ(base.stats.exact_path_elements, r.stats.exact_path_elements);
    }
  }
}

}  // namespace
}  // namespace flashcheck
