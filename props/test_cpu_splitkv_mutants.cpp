// The seeded bugs of cpu-splitkv / cpu-paged: each is built by name through the
// registry, and on a named generated case the correct kernel passes the verdict while
// the mutant fails it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/check_matrix.hpp"
#include "props/test_cpu_splitkv_helpers.hpp"
#include "props/support/recipe_builders.hpp"

namespace flashcheck {
namespace {

using splitkv_tests::make;
using splitkv_tests::oracle_of;
using splitkv_tests::run_ok;

using testing::recipe;

struct Kill {
  const char* mutant;
  CaseRecipe recipe;
};

// The case that kills each mutant (family labels as `flashcheck check` prints them).
const std::vector<Kill>& kills() {
  static const std::vector<Kill> k = {
      // Several chunks per row with different maxima: unrescaled weights mix them wrongly.
      {"merge-no-rescale", recipe({.batch = 1, .hq = 4, .hkv = 2, .lq = 1, .lk = 300, .dk = 64, .dv = 64}, "normal",
                                  "none", 21)},
      // Rows 0, 7, 14, ... see no key: every chunk is empty and the unguarded merge takes exp(-inf - -inf).
      {"merge-no-empty-guard", recipe({.batch = 1, .hq = 4, .hkv = 4, .lq = 64, .lk = 96, .dk = 64, .dv = 64},
                                      "normal", "masked_rows", 22)},
      // Longer than one page: every page but the last is read from its neighbour.
      {"paged-table-off-by-one", recipe({.batch = 2, .hq = 4, .hkv = 2, .lq = 1, .lk = 300, .dk = 64, .dv = 64},
                                        "normal", "causal", 23)},
  };
  return k;
}

const Kill& kill_of(const std::string& mutant) {
  for (const Kill& k : kills())
    if (mutant == k.mutant) return k;
  throw std::out_of_range("no killing case for mutant " + mutant);
}

bool any_nan(const RunOutput& out) {
  for (float l : out.lse)
    if (std::isnan(l)) return true;
  for (int64_t b = 0; b < out.o.shape[0]; ++b)
    for (int64_t h = 0; h < out.o.shape[1]; ++h)
      for (int64_t i = 0; i < out.o.shape[2]; ++i)
        for (int64_t col = 0; col < out.o.shape[3]; ++col)
          if (std::isnan(out.o.get(b, h, i, col))) return true;
  return false;
}

TEST(CpuSplitKvMutants, EachBackendListsTheBugsOfItsPasses) {
  const std::vector<std::string> merge = {"merge-no-rescale", "merge-no-empty-guard"};
  const std::vector<std::string> paged = {"paged-table-off-by-one"};
  const std::vector<std::string> both = {"merge-no-rescale", "merge-no-empty-guard", "paged-table-off-by-one"};
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {kCpuSplitKvName, merge}, {kCpuSplitKvC16Name, merge}, {kCpuPagedName, paged}, {kCpuPagedSplitKvName, both}};
  for (const auto& [backend, mutants] : expected) {
    std::vector<std::string> listed;
    for (const MutantInfo& m : make(backend)->mutants()) {
      listed.push_back(m.name);
      EXPECT_EQ(m.seed, "002");
      EXPECT_FALSE(m.description.empty());
      EXPECT_EQ(m.bug_class, m.name == "merge-no-empty-guard" ? "nan-from-inf" : "wrong-result");
    }
    EXPECT_EQ(listed, mutants) << backend;
  }
}

TEST(CpuSplitKvMutants, MutantsAreBuiltByNameAndOnlyWhereTheyApply) {
  EXPECT_EQ(make("cpu-splitkv@merge-no-rescale")->name(), "cpu-splitkv@merge-no-rescale");
  EXPECT_EQ(make("cpu-paged@paged-table-off-by-one")->name(), "cpu-paged@paged-table-off-by-one");
  EXPECT_EQ(make("cpu-paged-splitkv@merge-no-empty-guard")->name(), "cpu-paged-splitkv@merge-no-empty-guard");
  EXPECT_THROW(make("cpu-paged@merge-no-rescale"), std::invalid_argument) << "the single pass has no merge";
  EXPECT_THROW(make("cpu-splitkv@paged-table-off-by-one"), std::invalid_argument) << "no block table";
  EXPECT_THROW(make_cpu_splitkv_backend({.name = "x"}, "no-such-bug"), std::invalid_argument);
}

// For every (backend, mutant) pair: the correct kernel passes the killing case, the mutant fails it.
TEST(CpuSplitKvMutants, EveryMutantIsKilledByItsCase) {
  for (const SplitKvConfig& config : registered_splitkv_configs()) {
    const auto correct = make(config.name);
    for (const MutantInfo& m : correct->mutants()) {
      const Kill& kill = kill_of(m.name);
      const std::string spec = backend_spec(config.name, m.name);
      SCOPED_TRACE(spec + " on " + cli::family_label(kill.recipe) + ": " + describe(kill.recipe));
      const AttentionCase c = generate(kill.recipe);
      const OracleResult oracle = oracle_of(c);
      const Verdict good = judge(c, oracle, run_ok(*correct, c));
      EXPECT_TRUE(good.pass) << good.summary();

      const RunOutput bad_out = run_ok(spec, c);
      const Verdict bad = judge(c, oracle, bad_out);
      EXPECT_FALSE(bad.pass) << "the mutant survived: " << bad.summary();
      std::printf("  %-42s killed by %s: %s\n", spec.c_str(), cli::family_label(kill.recipe).c_str(),
                  bad.summary().substr(0, 160).c_str());
      if (m.bug_class == "nan-from-inf") {
        EXPECT_TRUE(any_nan(bad_out)) << "the bug shows as NaN";
        EXPECT_FALSE(bad.rule_failures.empty()) << "NaN breaks an absolute rule, not only a budget";
      }
    }
  }
}

}  // namespace
}  // namespace flashcheck
