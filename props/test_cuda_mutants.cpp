// Every seeded bug of the CUDA subjects is killed by a named case: the correct kernel
// passes the verdict there and the mutant fails it. The device tests skip where no
// usable device is; the check that the table covers every listed mutant does not need one.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/cuda/cuda_backends.hpp"
#include "impls/cuda/register_cuda.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"
#include "props/support/recipe_builders.hpp"

namespace flashcheck {
namespace {

struct Killer {
  const char* subject;
  const char* mutant;
  const char* why;  // why this case must expose the bug
  CaseRecipe recipe;
};

using testing::recipe;

// How GoogleTest names a parameter in test listings.
void PrintTo(const Killer& k, std::ostream* os) { *os << k.subject << "@" << k.mutant; }

// The named case of each mutant.
const std::vector<Killer>& killers() {
  static const std::vector<Killer> table{
      {"cuda-fp32", "max-lane0",
       "rows whose key 0 is hidden take -inf as the first tile's maximum, keep the sentinel, and every visible "
       "weight exp(s + FLT_MAX) overflows to inf",
       recipe({.batch = 1, .hq = 4, .hkv = 4, .lq = 64, .lk = 96, .dk = 64, .dv = 64}, "normal", "random", 2)},
      {"cuda-splitkv", "merge-no-rescale",
       "scores around 50 give each of the four 256-key chunks its own maximum, tens apart, so unrescaled partial "
       "sums mix weights relative to different maxima",
       recipe({.batch = 1, .hq = 8, .hkv = 2, .lq = 1, .lk = 1000, .dk = 64, .dv = 64}, "large_scores", "none", 2)},
  };
  return table;
}

Registry cuda_registry() {
  Registry r;
  register_cuda_backends(r);
  return r;
}

TEST(CudaMutants, KillerTableCoversEveryListedMutant) {
  const Registry r = cuda_registry();
  size_t listed = 0;
  for (const std::string& subject : r.names())
    for (const MutantInfo& m : r.make(subject)->mutants()) {
      ++listed;
      bool found = false;
      for (const Killer& k : killers()) found |= (subject == k.subject && m.name == k.mutant);
      EXPECT_TRUE(found) << subject << "@" << m.name << " has no killing case";
    }
  EXPECT_EQ(listed, killers().size());
}

// The max-lane0 case must hold what its explanation relies on: rows whose key 0 is hidden
// while other keys of the first tile are visible. (No device needed.)
TEST(CudaMutants, MaxLane0CaseHidesKeyZeroOfSomeRows) {
  const AttentionCase c = generate(killers()[0].recipe);
  int rows = 0;
  for (int64_t i = 0; i < c.shape.lq; ++i) {
    if (std::isfinite(c.bias(i, 0))) continue;
    for (int64_t j = 1; j < 32; ++j)
      if (std::isfinite(c.bias(i, j))) {
        ++rows;
        break;
      }
  }
  EXPECT_GT(rows, 0);
}

class CudaMutantKills : public ::testing::TestWithParam<Killer> {
 protected:
  void SetUp() override {
    if (const auto why = cuda::device_unavailable_reason()) GTEST_SKIP() << "no usable CUDA device: " << *why;
  }
};

TEST_P(CudaMutantKills, CorrectKernelPassesAndMutantFails) {
  const Killer& k = GetParam();
  SCOPED_TRACE(std::string(k.subject) + "@" + k.mutant + " on " + describe(k.recipe) + ": " + k.why);
  const Registry r = cuda_registry();
  const AttentionCase c = generate(k.recipe);
  const OracleResult oracle = run_oracle(c, cli::oracle_options_for(c, 0));

  auto correct = r.make(k.subject);
  const RunResult good = run_checked(*correct, c);
  ASSERT_EQ(good.status, RunResult::Status::ok) << good.message;
  const Verdict good_verdict = judge(c, oracle, good.output);
  EXPECT_TRUE(good_verdict.pass) << good_verdict.summary();

  auto mutant = r.make(backend_spec(k.subject, k.mutant));
  ASSERT_EQ(mutant->name(), backend_spec(k.subject, k.mutant));
  const RunResult bad = run_checked(*mutant, c);
  ASSERT_EQ(bad.status, RunResult::Status::ok) << bad.message;
  const Verdict bad_verdict = judge(c, oracle, bad.output);
  EXPECT_FALSE(bad_verdict.pass) << "the mutant survived: " << bad_verdict.summary();
  std::printf("  %s@%s: %s\n", k.subject, k.mutant, bad_verdict.summary().c_str());
}

std::string killer_name(const ::testing::TestParamInfo<Killer>& info) {
  std::string name = std::string(info.param.subject) + "_" + info.param.mutant;
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(NamedCases, CudaMutantKills, ::testing::ValuesIn(killers()), killer_name);

}  // namespace
}  // namespace flashcheck
