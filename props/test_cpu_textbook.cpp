// cpu-textbook on its own: exact behaviour on cases whose answer is known, and the
// invariances a correct kernel has bit for bit (layout, GQA sharing, thread count).
// Its accuracy against the oracle is checked end to end in test_verdict.cpp.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <ostream>
#include <cstring>

#include "core/case_transforms.hpp"
#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "props/support/random_recipe.hpp"
#include "props/support/identical_outputs.hpp"

namespace flashcheck {
namespace {

}  // namespace

// How RapidCheck prints a counterexample recipe.
inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

RunOutput run_ok(const AttentionCase& c, int threads = 2) {
  auto backend = make_cpu_textbook_backend(threads);
  RunResult r = run_checked(*backend, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error("cpu-textbook did not run: " + r.message);
  return std::move(r.output);
}

uint64_t bits_of(double x) { return std::bit_cast<uint64_t>(x); }

// Small random recipes over the features the kernel implements.
rc::Gen<CaseRecipe> small_recipes() {
  return rc::gen::exec([] {
    flashcheck::testing::RecipeSpace space;
    space.lk_at_least_lq = true;
    space.distributions = {"normal", "uniform", "peaked", "large_scores"};
    space.masks = {"none", "causal", "random", "masked_rows"};
    space.softcaps = {0.0f, 20.0f};
    space.max_biases = {0.0f, 8.0f};
    return flashcheck::testing::random_recipe(space);
  });
}

TEST(CpuTextbook, DescribesItself) {
  auto b = make_cpu_textbook_backend();
  EXPECT_EQ(b->name(), "cpu-textbook");
  EXPECT_EQ(b->description(), "plain fp32 online-softmax flash-attention loop");
  const Capabilities caps = b->capabilities();
  EXPECT_EQ(caps.q_types.size(), 3u);
  EXPECT_EQ(caps.kv_types.size(), 3u);
  EXPECT_EQ(caps.o_types.size(), 3u);
  EXPECT_TRUE(caps.lse && caps.gqa && caps.strided && caps.sinks && caps.softcap && caps.alibi);
}

// Under a causal mask with Lq == Lk, query 0 sees key 0 alone: its weight is exactly 1.
RC_GTEST_PROP(CpuTextbook, SingleVisibleKeyReturnsItsValueRow, ()) {
  CaseRecipe r = *small_recipes();
  r.mask = "causal";
  r.sinks = false;
  r.shape.lk = r.shape.lq;
  r.o_type = DType::f32;
  const AttentionCase c = generate(r);
  const RunOutput out = run_ok(c);
  for (int64_t b = 0; b < r.shape.batch; ++b)
    for (int64_t h = 0; h < r.shape.hq; ++h)
      for (int64_t col = 0; col < r.shape.dv; ++col)
        RC_ASSERT(out.o.get(b, h, 0, col) == c.v.get(b, c.kv_head(h), 0, col));
}

// Equal scores: every weight is exp(0) = 1, so O is the fp32 mean of the visible V rows.
TEST(CpuTextbook, FlatScoresGiveTheMeanOfV) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 4, .lk = 64, .dk = 16, .dv = 16};
  r.distribution = "flat";
  r.seed = 3;
  const AttentionCase c = generate(r);
  const RunOutput out = run_ok(c);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t col = 0; col < 16; ++col) {
        double sum = 0, sum_abs = 0;
        for (int64_t j = 0; j < 64; ++j) {
          sum += c.v.get(0, 0, j, col);
          sum_abs += std::fabs(c.v.get(0, 0, j, col));
        }
        const double tolerance = 66 * 0x1p-24 * sum_abs / 64;  // fp32 summation of 64 terms and the division
        EXPECT_NEAR(out.o.get(0, h, i, col), sum / 64, tolerance);
      }
}

TEST(CpuTextbook, FullyMaskedRowsGiveZeroAndMinusInfinity) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = 16, .lk = 24, .dk = 8, .dv = 8};
  r.mask = "masked_rows";
  r.seed = 11;
  const AttentionCase c = generate(r);
  const RunOutput out = run_ok(c);
  int masked_rows = 0;
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 16; ++i) {
      bool any_visible = false;
      for (int64_t j = 0; j < 24; ++j) any_visible |= std::isfinite(c.bias(i, j));
      if (any_visible) continue;
      ++masked_rows;
      EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], -INFINITY);
      for (int64_t col = 0; col < 8; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
    }
  EXPECT_GT(masked_rows, 0) << "the masked_rows pattern must hide some whole rows";
}

// With a sink and no visible key, the sink alone fills the denominator: O = 0, LSE = S_h.
TEST(CpuTextbook, SinkOnlyRowsGiveZeroAndTheSink) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 3, .hkv = 1, .lq = 16, .lk = 24, .dk = 8, .dv = 8};
  r.mask = "masked_rows";
  r.sinks = true;
  r.seed = 12;
  const AttentionCase c = generate(r);
  const RunOutput out = run_ok(c);
  int sink_only_rows = 0;
  for (int64_t h = 0; h < 3; ++h)
    for (int64_t i = 0; i < 16; ++i) {
      bool any_visible = false;
      for (int64_t j = 0; j < 24; ++j) any_visible |= std::isfinite(c.bias(i, j));
      if (any_visible) continue;
      ++sink_only_rows;
      EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], c.sinks[static_cast<size_t>(h)]);
      for (int64_t col = 0; col < 8; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
    }
  EXPECT_GT(sink_only_rows, 0);
}

// The special distribution puts inf and NaN in K and V at hidden keys only.
TEST(CpuTextbook, SpecialValuesAtHiddenKeysNeverLeak) {
  for (const char* mask : {"causal", "random", "masked_tiles"}) {
    SCOPED_TRACE(mask);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 40, .lk = 72, .dk = 16, .dv = 16};
    r.distribution = "special";
    r.mask = mask;
    r.seed = 5;
    const RunOutput out = run_ok(generate(r));
    for (float l : out.lse) EXPECT_FALSE(std::isnan(l));
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 40; ++i)
        for (int64_t col = 0; col < 16; ++col) EXPECT_TRUE(std::isfinite(out.o.get(0, h, i, col)));
  }
}

RC_GTEST_PROP(CpuTextbook, ResultDoesNotDependOnTheLayout, ()) {
  const CaseRecipe r = *small_recipes();
  const AttentionCase contiguous = generate(r);
  const RunOutput reference = run_ok(contiguous);
  for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
    AttentionCase strided = contiguous;
    strided.q = relayout(contiguous.q, layout);
    strided.k = relayout(contiguous.k, layout);
    strided.v = relayout(contiguous.v, layout);
    testing::rc_assert_identical(run_ok(strided), reference);
  }
}

RC_GTEST_PROP(CpuTextbook, GroupedQueryEqualsReplicatedHeads, ()) {
  CaseRecipe r = *small_recipes();
  r.shape.hkv = 1;
  r.shape.hq = *rc::gen::inRange<int64_t>(2, 5);
  const AttentionCase grouped = generate(r);
  const AttentionCase replicated = with_replicated_kv_heads(grouped);
  testing::rc_assert_identical(run_ok(replicated), run_ok(grouped));
}

RC_GTEST_PROP(CpuTextbook, ResultDoesNotDependOnTheThreadCount, ()) {
  const AttentionCase c = generate(*small_recipes());
  const RunOutput one = run_ok(c, 1);
  testing::rc_assert_identical(run_ok(c, 3), one);
  testing::rc_assert_identical(run_ok(c, 8), one);
}

// The kernel works in fp32 and rounds once at the store: a narrower O is the f32 O rounded.
RC_GTEST_PROP(CpuTextbook, NarrowOutputIsTheF32OutputRounded, ()) {
  CaseRecipe r = *small_recipes();
  r.o_type = DType::f32;
  const AttentionCase wide = generate(r);
  const RunOutput reference = run_ok(wide);
  for (DType narrow : {DType::f16, DType::bf16}) {
    AttentionCase c = wide;
    c.o_type = narrow;
    const RunOutput out = run_ok(c);
    RC_ASSERT(out.o.dtype == narrow);
    for (int64_t b = 0; b < c.shape.batch; ++b)
      for (int64_t h = 0; h < c.shape.hq; ++h)
        for (int64_t i = 0; i < c.shape.lq; ++i)
          for (int64_t col = 0; col < c.shape.dv; ++col)
            RC_ASSERT(bits_of(out.o.get(b, h, i, col)) == bits_of(round_to(narrow, reference.o.get(b, h, i, col))));
  }
}

}  // namespace
}  // namespace flashcheck
