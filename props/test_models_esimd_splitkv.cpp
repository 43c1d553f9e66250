// model-esimd-splitkv: the paged KV cache, exact answers of the split-KV kernels, what the
// model refuses, and its two mutants, each killed by a named generated case. Its accuracy
// on the default matrix is checked in test_models_matrix.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "impls/models/common/storage_io.hpp"
#include "impls/models/esimd_splitkv/esimd_splitkv.hpp"
#include "impls/models/esimd_splitkv/paged_kv_cache.hpp"
#include "props/test_models_support.hpp"

namespace flashcheck::models {
namespace {

using namespace testing;

CaseRecipe recipe(const char* distribution, const char* mask, int64_t lq, int64_t lk, uint64_t seed) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = lq, .lk = lk, .dk = 64, .dv = 64};
  r.distribution = distribution;
  r.mask = mask;
  r.seed = seed;
  return r;
}

TEST(EsimdSplitKv, DescribesItselfAndItsMutants) {
  auto b = make_esimd_splitkv_backend();
  EXPECT_EQ(b->name(), "model-esimd-splitkv");
  const Capabilities caps = b->capabilities();
  EXPECT_TRUE(caps.causal && caps.gqa);
  EXPECT_FALSE(caps.lse || caps.explicit_mask || caps.window || caps.sinks || caps.alibi || caps.softcap);
  const auto mutants = b->mutants();
  ASSERT_EQ(mutants.size(), 2u);
  EXPECT_EQ(mutants[0].name, "missing-exp-clamp");
  EXPECT_EQ(mutants[0].bug_class, "nan-from-inf");
  EXPECT_EQ(mutants[1].name, "max-lane0");
  EXPECT_EQ(mutants[1].bug_class, "wrong-result");
  for (const auto& m : mutants) {
    EXPECT_EQ(m.seed, "002");
    EXPECT_EQ(make_esimd_splitkv_backend(m.name)->name(), "model-esimd-splitkv@" + m.name);
  }
  EXPECT_THROW(make_esimd_splitkv_backend("no-such-bug"), std::invalid_argument);
}

// The block table is a shuffled permutation of the pages, and every read through it returns
// the source element's bits, whatever the shuffle.
TEST(EsimdSplitKv, PagedCacheReadsTheSourceThroughAShuffledBlockTable) {
  CaseRecipe r = recipe("normal", "none", 1, 50, 9);
  r.shape.batch = 2;
  r.layout = Layout::seq_major;
  const AttentionCase c = generate(r);
  const esimd::PagedKvCache first(c.k, 16, 1), second(c.k, 16, 2);
  ASSERT_EQ(first.pages_per_sequence(), 4);
  std::vector<int32_t> pages = first.block_table();
  ASSERT_EQ(pages.size(), 8u);
  EXPECT_NE(pages, second.block_table());
  std::vector<int32_t> identity(8);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(pages, identity) << "pages must not sit in logical order";
  std::sort(pages.begin(), pages.end());
  EXPECT_EQ(pages, identity);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t g = 0; g < 2; ++g)
      for (int64_t pos = 0; pos < 50; ++pos)
        for (int64_t d = 0; d < 64; ++d) {
          const uint32_t bits = load_bits(c.k, c.k.offset(b, g, pos, d));
          ASSERT_EQ(first.bits(b, pos, g, d), bits);
          ASSERT_EQ(second.bits(b, pos, g, d), bits);
          ASSERT_EQ(first.load(b, pos, g, d), c.k.get(b, g, pos, d));
        }
}

// Query 0 of a causal prefill with Lq == Lk sees key 0 alone: weight exp(0) = 1, every other
// lane exp(-1e30 - s) -> 0 (safe_exp16), so O is V's row 0 exactly.
TEST(EsimdSplitKv, FirstCausalRowReturnsItsOnlyKey) {
  const AttentionCase c = generate(recipe("normal", "causal", 37, 37, 13));
  auto b = make_esimd_splitkv_backend();
  const RunOutput out = run_ok(*b, c);
  EXPECT_TRUE(out.lse.empty());
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t col = 0; col < 64; ++col)
      EXPECT_EQ(out.o.get(0, h, 0, col), c.v.get(0, c.kv_head(h), 0, col)) << hex_and_decimal(out.o.get(0, h, 0, col));
}

// Equal scores over three partitions: each partition holds V's mean over its keys and the
// log-sum-exp merge weighs them by their key counts.
TEST(EsimdSplitKv, FlatScoresMergeToTheMeanOfV) {
  const AttentionCase c = generate(recipe("flat", "none", 5, 300, 14));
  auto b = make_esimd_splitkv_backend();
  const RunOutput out = run_ok(*b, c);
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t col = 0; col < 64; ++col) {
        double sum = 0, sum_abs = 0;
        for (int64_t j = 0; j < 300; ++j) {
          sum += c.v.get(0, c.kv_head(h), j, col);
          sum_abs += std::fabs(c.v.get(0, c.kv_head(h), j, col));
        }
        EXPECT_NEAR(out.o.get(0, h, i, col), sum / 300, 400 * 0x1p-24 * sum_abs / 300);
      }
}

TEST(EsimdSplitKv, HeadDimMustFillSixteenLanePieces) {
  CaseRecipe r = recipe("normal", "causal", 8, 40, 15);
  r.shape.dk = r.shape.dv = 40;
  auto b = make_esimd_splitkv_backend();
  EXPECT_EQ(run_checked(*b, generate(r)).status, RunResult::Status::unsupported);
}

TEST(EsimdSplitKv, LayoutAndGroupedHeadsDoNotChangeABit) {
  const AttentionCase c = generate(recipe("uniform", "causal", 21, 150, 16));
  auto b = make_esimd_splitkv_backend();
  const RunOutput reference = run_ok(*b, c);
  EXPECT_TRUE(identical(run_ok(*b, c), reference)) << "the partitions run in parallel; the result must not depend on it";
  for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
    AttentionCase strided = c;
    strided.q = relayout(c.q, layout);
    strided.k = relayout(c.k, layout);
    strided.v = relayout(c.v, layout);
    EXPECT_TRUE(identical(run_ok(*b, strided), reference));
  }
  EXPECT_TRUE(identical(run_ok(*b, with_replicated_kv_heads(c)), reference));
}

bool has_rule(const Verdict& v, const char* text) {
  for (const auto& rule : v.rule_failures)
    if (rule.find(text) != std::string::npos) return true;
  return false;
}

// missing-exp-clamp (seed 002, nan-from-inf): killed by prefill/normal/causal (Hq 4, Hkv 2,
// Lq 24, Lk 300, D 64, seed 3). The first correction exp(-1e30 - max) already gives NaN.
TEST(EsimdSplitKv, MissingExpClampMutantIsKilled) {
  const CaseRecipe r = recipe("normal", "causal", 24, 300, 3);
  auto correct = make_esimd_splitkv_backend();
  auto mutant = make_esimd_splitkv_backend("missing-exp-clamp");
  const Graded good = grade(*correct, r);
  const Graded bad = grade(*mutant, r);
  print_grade("model-esimd-splitkv", good);
  print_grade("model-esimd-splitkv@missing-exp-clamp", bad);
  EXPECT_TRUE(good.verdict.pass) << verdict_report(good.verdict);
  EXPECT_FALSE(bad.verdict.pass);
  EXPECT_TRUE(has_rule(bad.verdict, "non-finite value(s) where the oracle is finite")) << verdict_report(bad.verdict);
}

// max-lane0 (seed 002, wrong-result): killed by prefill/large_scores/causal (Hq 4, Hkv 2,
// Lq 24, Lk 200, D 64, seed 5): scores ~50 apart make exp(s - s[0]) overflow or, after the
// -80 correction clamp, weigh keys far too much.
TEST(EsimdSplitKv, MaxLane0MutantIsKilled) {
  const CaseRecipe r = recipe("large_scores", "causal", 24, 200, 5);
  auto correct = make_esimd_splitkv_backend();
  auto mutant = make_esimd_splitkv_backend("max-lane0");
  const Graded good = grade(*correct, r);
  const Graded bad = grade(*mutant, r);
  print_grade("model-esimd-splitkv", good);
  print_grade("model-esimd-splitkv@max-lane0", bad);
  EXPECT_TRUE(good.verdict.pass) << verdict_report(good.verdict);
  EXPECT_FALSE(bad.verdict.pass);
}

// On moderate scores the lane-0 maximum is only a different stabiliser: still within budget,
// which is why the kill needs large scores.
TEST(EsimdSplitKv, MaxLane0IsHarmlessOnModerateScores) {
  const CaseRecipe r = recipe("normal", "causal", 24, 200, 5);
  auto mutant = make_esimd_splitkv_backend("max-lane0");
  const Graded g = grade(*mutant, r);
  print_grade("model-esimd-splitkv@max-lane0 on normal scores", g);
  EXPECT_TRUE(g.verdict.pass) << verdict_report(g.verdict);
}

}  // namespace
}  // namespace flashcheck::models
