// model-metal-steel: the behaviour of MLX's steel_attention kernel on cases whose answer is
// known exactly, what it refuses, and the lse-log2 mutant killed by a named case. Its
// accuracy on the default matrix is checked in test_models_matrix.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "impls/models/metal_steel/metal_steel.hpp"
#include "impls/models/metal_steel/steel_attention.hpp"
#include "props/test_models_support.hpp"

namespace flashcheck::models {
namespace {

using namespace testing;

constexpr float kLn2 = 0.693147180559945309417f;

CaseRecipe small_recipe(const char* distribution, const char* mask, int64_t lq, int64_t lk, uint64_t seed) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = lq, .lk = lk, .dk = 64, .dv = 64};
  r.distribution = distribution;
  r.mask = mask;
  r.seed = seed;
  return r;
}

RunResult::Status status_of(const AttentionCase& c) {
  auto b = make_metal_steel_backend();
  return run_checked(*b, c).status;
}

TEST(MetalSteel, DescribesItselfAndItsMutant) {
  auto b = make_metal_steel_backend();
  EXPECT_EQ(b->name(), "model-metal-steel");
  EXPECT_NE(b->description().find("NaN"), std::string::npos) << "the fully masked row convention must be stated";
  const Capabilities caps = b->capabilities();
  EXPECT_TRUE(caps.lse && caps.sinks && caps.causal && caps.explicit_mask && caps.gqa);
  EXPECT_FALSE(caps.alibi || caps.softcap || caps.dk_ne_dv);
  const auto mutants = b->mutants();
  ASSERT_EQ(mutants.size(), 1u);
  EXPECT_EQ(mutants[0].name, "lse-log2");
  EXPECT_EQ(mutants[0].seed, "003");
  EXPECT_EQ(mutants[0].bug_class, "lse-base");
  EXPECT_EQ(make_metal_steel_backend("lse-log2")->name(), "model-metal-steel@lse-log2");
  EXPECT_THROW(make_metal_steel_backend("no-such-bug"), std::invalid_argument);
}

// Equal scores: every key weighs exp2(0) = 1 and every zero-filled tail lane exp2(-FLT_MAX) = 0,
// so O is V's float sum in key order divided by Lk, bit for bit.
TEST(MetalSteel, FlatScoresGiveTheSequentialMeanOfV) {
  CaseRecipe r = small_recipe("flat", "none", 33, 70, 3);
  r.v_type = DType::f32;
  const AttentionCase c = generate(r);
  auto b = make_metal_steel_backend();
  const RunOutput out = run_ok(*b, c);
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 0; i < 33; ++i) {
      for (int64_t col = 0; col < 64; ++col) {
        float sum = 0.0f;
        for (int64_t j = 0; j < 70; ++j) sum += static_cast<float>(c.v.get(0, c.kv_head(h), j, col));
        const float expected = sum / 70.0f;
        ASSERT_EQ(out.o.get(0, h, i, col), expected) << hex_and_decimal(out.o.get(0, h, i, col)) << " vs "
                                                    << hex_and_decimal(expected);
      }
      double score = 0;
      for (int64_t d = 0; d < 64; ++d) score += c.q.get(0, h, i, d) * c.k.get(0, c.kv_head(h), 0, d);
      score *= c.scale;
      EXPECT_NEAR(out.lse[static_cast<size_t>(h * 33 + i)], score + std::log(70.0), 1e-5);
    }
}

// Fully masked rows keep the kernel's convention. With Lk a multiple of BK every lane is -inf:
// sum 0, O = 0/0 = NaN, LSE = -FLT_MAX*ln2 + log(0) = -inf. Otherwise the key tail's lanes hold
// -FLT_MAX, the row maximum, so they weigh 1 against zero-filled V: O = 0 and LSE is
// -FLT_MAX*ln2 + log(tail lanes).
TEST(MetalSteel, FullyMaskedRowsFollowTheKernel) {
  struct Expect {
    int64_t lk;
    bool nan_o;
    float lse;
  };
  const float aligned_lse = -std::numeric_limits<float>::infinity();
  const float tail_lse = steel::kFiniteMin * kLn2 + std::log(26.0f);  // BK 32, Lk 70: 26 tail lanes
  for (const Expect e : {Expect{64, true, aligned_lse}, Expect{70, false, tail_lse}}) {
    SCOPED_TRACE(e.lk);
    const AttentionCase c = generate(small_recipe("normal", "masked_rows", 16, e.lk, 11));
    auto b = make_metal_steel_backend();
    const RunOutput out = run_ok(*b, c);
    int masked = 0;
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t i = 0; i < 16; i += 7) {
        ++masked;
        EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], e.lse) << hex_and_decimal(out.lse[static_cast<size_t>(h * 16 + i)]);
        for (int64_t col = 0; col < 64; ++col) {
          const double o = out.o.get(0, h, i, col);
          if (e.nan_o)
            EXPECT_TRUE(std::isnan(o)) << hex_and_decimal(o);
          else
            EXPECT_EQ(o, 0.0) << hex_and_decimal(o);
        }
      }
    EXPECT_EQ(masked, 12);
  }
}

// A sink starts the row at max = log2(e) * S, sum = 1: with no visible key O = 0 and LSE = S.
TEST(MetalSteel, SinkOnlyRowsGiveZeroAndTheSink) {
  CaseRecipe r = small_recipe("normal", "masked_rows", 16, 70, 12);
  r.sinks = true;
  const AttentionCase c = generate(r);
  auto b = make_metal_steel_backend();
  const RunOutput out = run_ok(*b, c);
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 0; i < 16; i += 7) {
      const float sink = c.sinks[static_cast<size_t>(h)];
      EXPECT_NEAR(out.lse[static_cast<size_t>(h * 16 + i)], sink, 4e-7 * std::fabs(sink) + 1e-30);
      for (int64_t col = 0; col < 64; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
    }
}

TEST(MetalSteel, RefusesWhatTheFusedKernelDoesNotRun) {
  CaseRecipe r = small_recipe("normal", "none", 16, 40, 4);
  r.q_type = r.k_type = r.v_type = DType::f16;
  EXPECT_EQ(status_of(generate(r)), RunResult::Status::unsupported) << "all-f16 inputs run MLX's half kernel";
  r.k_type = DType::bf16;  // promoted to float32, as MLX does
  EXPECT_EQ(status_of(generate(r)), RunResult::Status::ok);

  CaseRecipe odd_dim = small_recipe("normal", "none", 16, 40, 4);
  odd_dim.shape.dk = odd_dim.shape.dv = 48;
  EXPECT_EQ(status_of(generate(odd_dim)), RunResult::Status::unsupported);

  CaseRecipe long_q = small_recipe("normal", "causal", 40, 20, 4);
  EXPECT_EQ(status_of(generate(long_q)), RunResult::Status::unsupported) << "MLX's causal mode needs Lq <= Lk";
  long_q.mask = "tile_edges";  // causal with an explicit mask: one array mask, any Lq
  EXPECT_EQ(status_of(generate(long_q)), RunResult::Status::ok);
}

TEST(MetalSteel, LayoutAndGroupedHeadsDoNotChangeABit) {
  const AttentionCase c = generate(small_recipe("uniform", "causal", 40, 72, 5));
  auto b = make_metal_steel_backend();
  const RunOutput reference = run_ok(*b, c);
  for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
    AttentionCase strided = c;
    strided.q = relayout(c.q, layout);
    strided.k = relayout(c.k, layout);
    strided.v = relayout(c.v, layout);
    EXPECT_TRUE(identical(run_ok(*b, strided), reference));
  }
  EXPECT_TRUE(identical(run_ok(*b, with_replicated_kv_heads(c)), reference));
}

// lse-log2 (seed 003, lse-base): killed by prefill/normal/causal (Hq 4, Hkv 2, Lq 40, Lk 72,
// D 64, seed 21). O is untouched; only the LSE leaves the natural-log domain.
TEST(MetalSteel, LseLog2MutantIsKilled) {
  const CaseRecipe r = small_recipe("normal", "causal", 40, 72, 21);
  auto correct = make_metal_steel_backend();
  auto mutant = make_metal_steel_backend("lse-log2");
  const Graded good = grade(*correct, r);
  const Graded bad = grade(*mutant, r);
  print_grade("model-metal-steel", good);
  print_grade("model-metal-steel@lse-log2", bad);
  EXPECT_TRUE(good.verdict.pass) << verdict_report(good.verdict);
  EXPECT_FALSE(bad.verdict.pass);
  ASSERT_FALSE(bad.verdict.worst.empty());
  EXPECT_EQ(bad.verdict.worst.front().what, "LSE");
  RunOutput bad_o_only = bad.out;
  bad_o_only.lse = good.out.lse;
  EXPECT_TRUE(identical(bad_o_only, good.out));
  for (size_t row = 0; row < good.out.lse.size(); ++row)
    EXPECT_NEAR(bad.out.lse[row] * kLn2, good.out.lse[row], 1e-5 * (1.0 + std::fabs(good.out.lse[row])));
}

}  // namespace
}  // namespace flashcheck::models
