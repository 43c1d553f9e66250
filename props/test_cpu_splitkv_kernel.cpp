// cpu-splitkv / cpu-paged on their own: the merge pass on hand-made partials, exact
// behaviour on cases whose answer is known, the invariances a correct kernel has bit
// for bit (thread count, layout), and the verdict on random recipes and chunk sizes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "impls/cpu_splitkv/split_merge.hpp"
#include "props/support/random_recipe.hpp"
#include "props/test_cpu_splitkv_helpers.hpp"

namespace flashcheck {

// How RapidCheck prints a counterexample recipe.
inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

using splitkv::MergeBugs;
using splitkv::merge_partials;
using splitkv_tests::bits_of;
using splitkv_tests::first_difference;
using splitkv_tests::fmt_value;
using splitkv_tests::make;
using splitkv_tests::oracle_of;
using splitkv_tests::run_ok;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<std::string> registered_names() {
  std::vector<std::string> names;
  for (const SplitKvConfig& config : registered_splitkv_configs()) names.push_back(config.name);
  return names;
}

TEST(CpuSplitKv, RegistersFourBackendsThatDescribeThemselves) {
  EXPECT_EQ(splitkv_tests::registry().names(),
            (std::vector<std::string>{"cpu-splitkv", "cpu-splitkv-c16", "cpu-paged", "cpu-paged-splitkv"}));
  const std::vector<std::string> descriptions = {
      "split-KV (flash-decoding) fp32 online softmax, 64-key chunks merged by max/LSE, strided K/V",
      "split-KV (flash-decoding) fp32 online softmax, 16-key chunks merged by max/LSE, strided K/V",
      "single-pass fp32 online softmax, K/V read through a shuffled 16-token page table",
      "split-KV (flash-decoding) fp32 online softmax, 64-key chunks merged by max/LSE, K/V read through a shuffled "
      "16-token page table"};
  const auto names = registered_names();
  for (size_t i = 0; i < names.size(); ++i) {
    auto b = make(names[i]);
    EXPECT_EQ(b->name(), names[i]);
    EXPECT_EQ(b->description(), descriptions[i]);
    const Capabilities caps = b->capabilities();
    EXPECT_EQ(caps.q_types.size(), 3u);
    EXPECT_EQ(caps.kv_types.size(), 3u);
    EXPECT_EQ(caps.o_types.size(), 3u);
    EXPECT_TRUE(caps.lse && caps.gqa && caps.strided && caps.sinks && caps.softcap && caps.alibi && caps.causal &&
                caps.window && caps.explicit_mask && caps.dk_ne_dv);
    EXPECT_TRUE(caps.kv_schemes.empty()) << "no quantized KV is read";
  }
}

TEST(CpuSplitKv, NegativeChunkSizeIsRejected) {
  EXPECT_THROW(make_cpu_splitkv_backend({.name = "bad", .chunk_tokens = -1}), std::invalid_argument);
}

// Record [m, l, O...] as the split pass writes it.
std::vector<float> record(float m, float l, std::vector<float> o) {
  std::vector<float> r{m, l};
  r.insert(r.end(), o.begin(), o.end());
  return r;
}

std::vector<float> concat(std::initializer_list<std::vector<float>> records) {
  std::vector<float> out;
  for (const auto& r : records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

struct Merged {
  std::vector<float> o;
  float lse;
};

Merged merge(const std::vector<float>& records, int64_t dv, const float* sink = nullptr, MergeBugs bugs = {}) {
  Merged m{std::vector<float>(static_cast<size_t>(dv)), 0.0f};
  const auto count = static_cast<int64_t>(records.size()) / splitkv::partial_record_floats(dv);
  m.lse = merge_partials(records.data(), count, dv, sink, bugs, m.o.data());
  return m;
}

TEST(CpuSplitKvMerge, WeighsPartialsByTheirRescaledDenominators) {
  const auto records = concat({record(2.0f, 3.0f, {1.0f, -1.0f}), record(0.0f, 5.0f, {0.5f, 2.0f})});
  const Merged m = merge(records, 2);
  const double wa = 3.0, wb = std::exp(-2.0) * 5.0;
  EXPECT_NEAR(m.o[0], (wa * 1.0 + wb * 0.5) / (wa + wb), 1e-6);
  EXPECT_NEAR(m.o[1], (wa * -1.0 + wb * 2.0) / (wa + wb), 1e-6);
  EXPECT_NEAR(m.lse, 2.0 + std::log(wa + wb), 1e-6);
}

TEST(CpuSplitKvMerge, EmptyChunksChangeNothing) {
  const auto a = record(2.0f, 3.0f, {1.0f, -1.0f});
  const auto b = record(0.0f, 5.0f, {0.5f, 2.0f});
  const auto empty = record(kNegInf, 0.0f, {0.0f, 0.0f});
  const Merged plain = merge(concat({a, b}), 2);
  for (const auto& records : {concat({empty, a, b}), concat({a, empty, b}), concat({a, b, empty, empty})}) {
    const Merged m = merge(records, 2);
    EXPECT_EQ(bits_of(m.lse), bits_of(plain.lse));
    for (size_t col = 0; col < 2; ++col) EXPECT_EQ(bits_of(m.o[col]), bits_of(plain.o[col]));
  }
}

TEST(CpuSplitKvMerge, NoVisibleKeyGivesZeroAndMinusInfinity) {
  const auto empty = record(kNegInf, 0.0f, {0.0f, 0.0f, 0.0f});
  const Merged m = merge(concat({empty, empty}), 3);
  EXPECT_EQ(m.lse, kNegInf);
  for (float x : m.o) EXPECT_EQ(x, 0.0f);
}

TEST(CpuSplitKvMerge, SinkEntersTheDenominatorOnce) {
  const float sink = 1.0f;
  const auto empty = record(kNegInf, 0.0f, {0.0f});
  const Merged sink_only = merge(concat({empty, empty}), 1, &sink);
  EXPECT_EQ(sink_only.lse, sink);
  EXPECT_EQ(sink_only.o[0], 0.0f);

  const Merged m = merge(concat({record(0.0f, 2.0f, {4.0f}), empty, record(-1.0f, 1.0f, {1.0f})}), 1, &sink);
  const double w0 = std::exp(-1.0) * 2.0, w2 = std::exp(-2.0), ws = 1.0;  // relative to the sink, the maximum
  EXPECT_NEAR(m.o[0], (w0 * 4.0 + w2 * 1.0) / (w0 + w2 + ws), 1e-6);
  EXPECT_NEAR(m.lse, 1.0 + std::log(w0 + w2 + ws), 1e-6);
}

TEST(CpuSplitKvMerge, SeededBugsChangeExactlyWhatTheySay) {
  const auto records = concat({record(2.0f, 3.0f, {1.0f}), record(0.0f, 5.0f, {0.5f})});
  const Merged unscaled = merge(records, 1, nullptr, {.skip_rescale = true});
  EXPECT_NEAR(unscaled.o[0], (3.0 * 1.0 + 5.0 * 0.5) / 8.0, 1e-6);

  const auto empty = record(kNegInf, 0.0f, {0.0f});
  const Merged guarded_rows = merge(concat({empty, records}), 1, nullptr, {.no_empty_guard = true});
  const Merged plain = merge(records, 1);
  EXPECT_EQ(bits_of(guarded_rows.o[0]), bits_of(plain.o[0])) << "a finite maximum still hides the empty chunk";
  const Merged all_empty = merge(concat({empty, empty}), 1, nullptr, {.no_empty_guard = true});
  EXPECT_TRUE(std::isnan(all_empty.o[0])) << fmt_value(all_empty.o[0]);
  EXPECT_TRUE(std::isnan(all_empty.lse)) << fmt_value(all_empty.lse);
}

TEST(CpuSplitKvMerge, PartialRecordsAreNormalisedAndEmptyOnesZero) {
  std::vector<float> rec(4);
  splitkv::write_partial({1.5f, 4.0f}, {2.0f, -6.0f}, rec.data());
  EXPECT_EQ(rec, (std::vector<float>{1.5f, 4.0f, 0.5f, -1.5f}));
  splitkv::write_partial({kNegInf, 0.0f}, {0.0f, 0.0f}, rec.data());
  EXPECT_EQ(rec[0], kNegInf);
  EXPECT_EQ(rec[1], 0.0f);
  EXPECT_EQ(rec[2], 0.0f);
  EXPECT_EQ(rec[3], 0.0f);
}

// Equal scores: every weight is 1, so O is the mean of the visible V rows, over many chunks.
TEST(CpuSplitKv, FlatScoresGiveTheMeanOfV) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 3, .lk = 150, .dk = 16, .dv = 16};
  r.distribution = "flat";
  r.seed = 3;
  const AttentionCase c = generate(r);
  for (const std::string& name : registered_names()) {
    SCOPED_TRACE(name);
    const RunOutput out = run_ok(name, c);
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 3; ++i) {
        double score = 0;  // every key's score
        for (int64_t d = 0; d < 16; ++d) score += c.q.get(0, h, i, d) * c.k.get(0, 0, 0, d);
        score *= c.scale;
        EXPECT_NEAR(out.lse[static_cast<size_t>(h * 3 + i)], score + std::log(150.0), 1e-5 * (1 + std::fabs(score)));
        for (int64_t col = 0; col < 16; ++col) {
          double sum = 0, sum_abs = 0;
          for (int64_t j = 0; j < 150; ++j) {
            sum += c.v.get(0, 0, j, col);
            sum_abs += std::fabs(c.v.get(0, 0, j, col));
          }
          EXPECT_NEAR(out.o.get(0, h, i, col), sum / 150, 160 * 0x1p-24 * sum_abs / 150);
        }
      }
  }
}

// Rows with no visible key (and no sink) get O = 0 and LSE = -inf; with a sink, LSE = the sink.
TEST(CpuSplitKv, FullyMaskedRowsGiveZeroAndTheSinkOrMinusInfinity) {
  for (bool sinks : {false, true}) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 16, .lk = 100, .dk = 8, .dv = 8};
    r.mask = "masked_rows";
    r.sinks = sinks;
    r.seed = 11;
    const AttentionCase c = generate(r);
    for (const std::string& name : registered_names()) {
      SCOPED_TRACE(name + (sinks ? " with sinks" : ""));
      const RunOutput out = run_ok(name, c);
      int masked_rows = 0;
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 16; ++i) {
          bool any_visible = false;
          for (int64_t j = 0; j < 100; ++j) any_visible |= std::isfinite(c.bias(i, j));
          if (any_visible) continue;
          ++masked_rows;
          EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], sinks ? c.sinks[static_cast<size_t>(h)] : kNegInf);
          for (int64_t col = 0; col < 8; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
        }
      EXPECT_GT(masked_rows, 0);
    }
  }
}

// The special distribution puts inf and NaN in K and V at hidden keys only.
TEST(CpuSplitKv, SpecialValuesAtHiddenKeysNeverLeak) {
  for (const char* mask : {"causal", "random", "masked_tiles", "window"}) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 40, .lk = 150, .dk = 16, .dv = 16};
    r.distribution = "special";
    r.mask = mask;
    r.window = 20;
    r.seed = 5;
    const AttentionCase c = generate(r);
    for (const std::string& name : registered_names()) {
      SCOPED_TRACE(std::string(mask) + " " + name);
      const RunOutput out = run_ok(name, c);
      for (float l : out.lse) EXPECT_FALSE(std::isnan(l));
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 40; ++i)
          for (int64_t col = 0; col < 16; ++col) EXPECT_TRUE(std::isfinite(out.o.get(0, h, i, col)));
    }
  }
}

// Decode under a short window: the leading chunks hold no visible key and must be skipped.
TEST(CpuSplitKv, LeadingEmptyChunksPassTheVerdict) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 1, .lk = 700, .dk = 32, .dv = 32};
  r.mask = "window";
  r.window = 100;
  r.seed = 9;
  const AttentionCase c = generate(r);
  const OracleResult oracle = oracle_of(c);
  for (const std::string& name : registered_names()) {
    const Verdict v = judge(c, oracle, run_ok(name, c));
    EXPECT_TRUE(v.pass) << name << ": " << v.summary();
  }
}

rc::Gen<CaseRecipe> small_recipes() {
  return rc::gen::exec([] {
    flashcheck::testing::RecipeSpace space;
    space.max_lq = 7;
    space.max_lk = 130;
    space.lk_at_least_lq = *rc::gen::arbitrary<bool>();
    space.softcaps = {0.0f, 20.0f};
    space.max_biases = {0.0f, 8.0f};
    space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
    return flashcheck::testing::random_recipe(space);
  });
}

SplitKvConfig any_config() {
  return {.name = "random-config",
          .chunk_tokens = *rc::gen::element<int64_t>(0, 1, 3, 16, 33, 64, 200),
          .paged = *rc::gen::arbitrary<bool>(),
          .threads = 2};
}

RC_GTEST_PROP(CpuSplitKv, PassesTheVerdictOnRandomRecipesAndChunkSizes, ()) {
  const CaseRecipe recipe = *small_recipes();
  const SplitKvConfig config = any_config();
  const AttentionCase c = generate(recipe);
  const Verdict v = judge(c, oracle_of(c), run_ok(config, c));
  if (!v.pass)
    RC_FAIL("chunk " + std::to_string(config.chunk_tokens) + (config.paged ? " paged: " : ": ") + v.summary());
}

RC_GTEST_PROP(CpuSplitKv, ResultDoesNotDependOnTheThreadCount, ()) {
  const AttentionCase c = generate(*small_recipes());
  SplitKvConfig config = any_config();
  config.threads = 1;
  const RunOutput one = run_ok(config, c);
  for (int threads : {3, 8}) {
    config.threads = threads;
    const std::string diff = first_difference(run_ok(config, c), one);
    if (!diff.empty()) RC_FAIL(std::to_string(threads) + " threads: " + diff);
  }
}

RC_GTEST_PROP(CpuSplitKv, ResultDoesNotDependOnTheLayout, ()) {
  CaseRecipe recipe = *small_recipes();
  recipe.layout = Layout::contiguous;
  const AttentionCase contiguous = generate(recipe);
  const SplitKvConfig config = any_config();
  const RunOutput reference = run_ok(config, contiguous);
  for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
    AttentionCase strided = contiguous;
    strided.q = relayout(contiguous.q, layout);
    strided.k = relayout(contiguous.k, layout);
    strided.v = relayout(contiguous.v, layout);
    if (strided.mask) strided.mask = relayout(*contiguous.mask, layout);
    const std::string diff = first_difference(run_ok(config, strided), reference);
    if (!diff.empty()) RC_FAIL(diff);
  }
}

// The kernel works in fp32 and rounds once at the store: a narrower O is the f32 O rounded.
RC_GTEST_PROP(CpuSplitKv, NarrowOutputIsTheF32OutputRounded, ()) {
  CaseRecipe recipe = *small_recipes();
  recipe.o_type = DType::f32;
  const AttentionCase wide = generate(recipe);
  const SplitKvConfig config = any_config();
  const RunOutput reference = run_ok(config, wide);
  for (DType narrow : {DType::f16, DType::bf16}) {
    AttentionCase c = wide;
    c.o_type = narrow;
    const RunOutput out = run_ok(config, c);
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
