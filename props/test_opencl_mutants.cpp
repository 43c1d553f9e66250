// Each seeded OpenCL bug is caught by the verdict on a named generated case on which
// the correct kernel passes.
#include <gtest/gtest.h>

#include <string>

#include "cli/case_evaluation.hpp"
#include "impls/opencl/fa_launcher.hpp"
#include "impls/opencl/fa_program.hpp"
#include "props/test_opencl_helpers.hpp"

namespace flashcheck {
namespace {

using opencl_tests::explain;
using opencl_tests::grade;
using opencl_tests::make;
using opencl_tests::verdict_fails;

// Causal prefill with -inf columns at the tile edges 15..17, 31..33, 63..65 (Lk - Lq = 33).
CaseRecipe tile_edges_prefill() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 80, .lk = 113, .dk = 64, .dv = 64};
  r.distribution = "normal";
  r.mask = "tile_edges";
  r.seed = 4004;
  return r;
}

// Lk - Lq = 136: every query sees KV tile 3 (keys 96..127) up to its last key 127,
// which the tile_edges mask hides; the tile is mixed only because of that last key.
CaseRecipe tile_edges_last_key() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 64, .lk = 200, .dk = 64, .dv = 64};
  r.distribution = "normal";
  r.mask = "tile_edges";
  r.seed = 4005;
  return r;
}

TEST(OpenClMutants, TheCatalogueNamesSeed004) {
  auto b = make("opencl");
  const auto mutants = b->mutants();
  ASSERT_EQ(mutants.size(), 2u);
  EXPECT_EQ(mutants[0].name, "neg-inf-init");
  EXPECT_EQ(mutants[0].bug_class, "nan-from-inf");
  EXPECT_EQ(mutants[1].name, "tile-class-off-by-one");
  EXPECT_EQ(mutants[1].bug_class, "masked-key-leak");
  for (const MutantInfo& m : mutants) {
    EXPECT_EQ(m.seed, "004");
    EXPECT_FALSE(m.description.empty());
    EXPECT_EQ(make("opencl-finite-math", m.name)->name(), "opencl-finite-math@" + m.name);
  }
}

// -INFINITY sentinels are only well defined in the default build: there the mutant is
// as right as the fixed kernel; under -cl-finite-math-only and -cl-fast-relaxed-math
// the compiler folds the infinite mask addend away and hidden keys leak.
TEST(OpenClMutants, NegInfInitPassesTheDefaultBuildAndFailsUnderFiniteMath) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  const CaseRecipe r = tile_edges_prefill();
  const AttentionCase c = generate(r);
  cli::LazyOracle oracle(c, cli::oracle_options_for(c, 2));
  for (const char* flags : opencl_tests::kFlagSetNames) {
    SCOPED_TRACE(flags);
    auto correct = make(flags);
    const cli::CaseOutcome good = grade(*correct, r, c, oracle);
    EXPECT_EQ(good.status, cli::CaseOutcome::Status::pass) << explain(good);
    auto mutant = make(flags, "neg-inf-init");
    const cli::CaseOutcome bad = grade(*mutant, r, c, oracle);
    if (std::string(flags) == "opencl")
      EXPECT_EQ(bad.status, cli::CaseOutcome::Status::pass) << explain(bad);
    else
      EXPECT_TRUE(verdict_fails(bad)) << explain(bad);
  }
}

TEST(OpenClMutants, TileClassOffByOneLeaksTheTilesLastKey) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  const CaseRecipe r = tile_edges_last_key();
  const AttentionCase c = generate(r);
  cli::LazyOracle oracle(c, cli::oracle_options_for(c, 2));
  auto correct = make("opencl");
  const cli::CaseOutcome good = grade(*correct, r, c, oracle);
  EXPECT_EQ(good.status, cli::CaseOutcome::Status::pass) << explain(good);
  auto mutant = make("opencl", "tile-class-off-by-one");
  const cli::CaseOutcome bad = grade(*mutant, r, c, oracle);
  EXPECT_TRUE(verdict_fails(bad)) << explain(bad);

  // The cause, seen in the prepass: KV tile 3 of query tile 0 is mixed (key 127 is hidden)
  // but the mutant calls it unmasked.
  const opencl::FlashAttentionLauncher right(*opencl::find_flag_set("opencl"), nullptr, {});
  const opencl::FlashAttentionLauncher wrong(*opencl::find_flag_set("opencl"),
                                             opencl::find_opencl_mutant("tile-class-off-by-one"), {});
  const auto right_classes = right.tile_classes(c);
  const auto wrong_classes = wrong.tile_classes(c);
  const size_t n_kv_tiles = 7;  // ceil(200 / 32)
  ASSERT_EQ(right_classes.size(), 2 * n_kv_tiles);
  EXPECT_EQ(right_classes[3], 1);  // mixed
  EXPECT_EQ(wrong_classes[3], 2);  // unmasked
}

}  // namespace
}  // namespace flashcheck
