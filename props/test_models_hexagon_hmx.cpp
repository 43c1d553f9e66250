// model-hexagon-hmx: fp16 operands (Q rounded first), its accuracy where the inputs are
// already fp16 (outside an fp32 contract: graded by NMSE, the verdict reported), the mask
// threshold and fully masked rows, and the fp16-softmax-stats mutant: killed by a named
// case, and its error growing with Lk.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "impls/models/hexagon_hmx/hexagon_hmx.hpp"
#include "props/test_models_support.hpp"

namespace flashcheck::models {
namespace {

using namespace testing;

CaseRecipe f16_recipe(const char* distribution, const char* mask, int64_t lq, int64_t lk, uint64_t seed) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = lq, .lk = lk, .dk = 64, .dv = 64};
  r.q_type = r.k_type = r.v_type = DType::f16;
  r.o_type = DType::f32;
  r.distribution = distribution;
  r.mask = mask;
  r.seed = seed;
  return r;
}

TEST(HexagonHmx, DescribesItselfAndItsMutant) {
  auto b = make_hexagon_hmx_backend();
  EXPECT_EQ(b->name(), "model-hexagon-hmx");
  EXPECT_NE(b->description().find("rounded to fp16"), std::string::npos) << "the fp16 roundings must be named";
  const Capabilities caps = b->capabilities();
  EXPECT_EQ(caps.q_types, (std::vector<DType>{DType::f32, DType::f16}));
  EXPECT_EQ(caps.kv_types, (std::vector<DType>{DType::f16}));
  EXPECT_FALSE(caps.lse);
  const auto mutants = b->mutants();
  ASSERT_EQ(mutants.size(), 1u);
  EXPECT_EQ(mutants[0].name, "fp16-softmax-stats");
  EXPECT_EQ(mutants[0].seed, "000");
  EXPECT_EQ(mutants[0].bug_class, "drift");
  EXPECT_EQ(make_hexagon_hmx_backend("fp16-softmax-stats")->name(), "model-hexagon-hmx@fp16-softmax-stats");
  EXPECT_THROW(make_hexagon_hmx_backend("no-such-bug"), std::invalid_argument);
}

// The op converts an f32 Q to fp16 tiles: the result is the one of the f16-rounded Q, bit for bit.
TEST(HexagonHmx, F32QueryIsRoundedToF16First) {
  CaseRecipe r = f16_recipe("normal", "causal", 40, 100, 1);
  r.q_type = DType::f32;
  const AttentionCase wide = generate(r);
  AttentionCase narrow = wide;
  narrow.q = relayout(wide.q, Layout::contiguous, DType::f16);
  narrow.q_type = DType::f16;
  auto b = make_hexagon_hmx_backend();
  EXPECT_TRUE(identical(run_ok(*b, wide), run_ok(*b, narrow)));
}

// With fp16 inputs the only departures from fp32 arithmetic are P's fp16 rounding (and the
// order of sums): NMSE stays far below test-backend-ops' 5e-4. The fp32 verdict is reported:
// the P rounding is outside its budget where rows are short.
TEST(HexagonHmx, F16InputsStayWithinNmse) {
  auto b = make_hexagon_hmx_backend();
  CaseRecipe window = f16_recipe("large_v", "window", 32, 200, 7);
  window.window = 64;
  const CaseRecipe cases[] = {
      f16_recipe("normal", "causal", 64, 113, 2),       f16_recipe("uniform", "none", 32, 256, 3),
      f16_recipe("peaked", "random", 48, 160, 4),       f16_recipe("large_scores", "none", 32, 100, 5),
      f16_recipe("flat", "causal", 32, 100, 6),         window,
      f16_recipe("same_sign_v", "tile_edges", 16, 300, 8), f16_recipe("normal", "none", 4, 4096, 9),
  };
  for (const CaseRecipe& r : cases) {
    SCOPED_TRACE(describe(r));
    const Graded g = grade(*b, r);
    print_grade(describe(r).c_str(), g);
    EXPECT_LT(o_nmse(g), 5e-4);
  }
}

// Mask values at or below -16 hide the key (the kernel compares against fp16 -16.0), exactly
// as -inf does; a larger bias is added.
TEST(HexagonHmx, MaskAtOrBelowMinus16HidesTheKey) {
  AttentionCase hidden = generate(f16_recipe("normal", "random", 16, 70, 10));
  AttentionCase at_threshold = hidden;
  auto b = make_hexagon_hmx_backend();
  for (int64_t i = 0; i < 16; ++i)
    for (int64_t j = 0; j < 70; ++j)
      if (std::isinf(hidden.mask->get(0, 0, i, j))) at_threshold.mask->set(0, 0, i, j, -16.0);
  EXPECT_TRUE(identical(run_ok(*b, hidden), run_ok(*b, at_threshold)));
}

// A fully masked row keeps every score at the -65504 sentinel, which is then its maximum:
// every key weighs exp(0) = 1 and O is the mean of V, not the contract's 0.
TEST(HexagonHmx, FullyMaskedRowsAverageV) {
  const AttentionCase c = generate(f16_recipe("normal", "masked_rows", 16, 100, 11));
  auto b = make_hexagon_hmx_backend();
  const RunOutput out = run_ok(*b, c);
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 0; i < 16; i += 7)
      for (int64_t col = 0; col < 64; ++col) {
        double sum = 0, sum_abs = 0;
        for (int64_t j = 0; j < 100; ++j) {
          sum += c.v.get(0, c.kv_head(h), j, col);
          sum_abs += std::fabs(c.v.get(0, c.kv_head(h), j, col));
        }
        EXPECT_NEAR(out.o.get(0, h, i, col), sum / 100, 200 * 0x1p-24 * sum_abs / 100);
      }
}

// fp16-softmax-stats (seed 000, drift): killed by prefill/same_sign_v/random (Hq 4, Hkv 2,
// Lq 4, Lk 256, D 64, f16 Q/K/V, seed 7): l re-quantized to fp16 every block breaks the
// fp32 budget while the correct model stays far inside it.
TEST(HexagonHmx, Fp16SoftmaxStatsMutantIsKilled) {
  const CaseRecipe r = f16_recipe("same_sign_v", "random", 4, 256, 7);
  auto correct = make_hexagon_hmx_backend();
  auto mutant = make_hexagon_hmx_backend("fp16-softmax-stats");
  const Graded good = grade(*correct, r);
  const Graded bad = grade(*mutant, r);
  print_grade("model-hexagon-hmx", good);
  print_grade("model-hexagon-hmx@fp16-softmax-stats", bad);
  EXPECT_TRUE(good.verdict.pass) << verdict_report(good.verdict);
  EXPECT_FALSE(bad.verdict.pass);
}

// The drift grows with Lk while the correct model's error does not: on same-sign V with
// random mask biases (so O is not small and p is not 1) the mutant's worst |O - exact|/max|V|
// rises with every longer row and is over 100x the correct model's at Lk 4096 and 16384.
TEST(HexagonHmx, Fp16SoftmaxStatsErrorGrowsWithLk) {
  auto correct = make_hexagon_hmx_backend();
  auto mutant = make_hexagon_hmx_backend("fp16-softmax-stats");
  double previous = 0;
  for (int64_t lk : {256, 4096, 16384}) {
    const CaseRecipe r = f16_recipe("same_sign_v", "random", 4, lk, 7);
    const Graded good = grade(*correct, r);
    const Graded bad = grade(*mutant, r);
    std::printf("Lk %lld:\n", static_cast<long long>(lk));
    print_grade("  model-hexagon-hmx", good);
    print_grade("  model-hexagon-hmx@fp16-softmax-stats", bad);
    const double bad_error = max_v_relative_error(bad), good_error = max_v_relative_error(good);
    EXPECT_GT(bad_error, previous) << "Lk " << lk;
    if (lk >= 4096) {
      EXPECT_GT(bad_error, 100 * good_error) << "Lk " << lk;
    }
    previous = bad_error;
  }
}

}  // namespace
}  // namespace flashcheck::models
