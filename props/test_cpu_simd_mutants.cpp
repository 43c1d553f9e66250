// The seeded bug max-lane0 (seed 002, wrong-result): the horizontal max over a block's
// key lanes returns lane 0. Online softmax forgives a running max that is merely too
// small until exp overflows, so the killing case has scores spread far wider than 88
// within a block (large_scores): there the correct kernels pass the verdict and the
// mutants produce inf / NaN.
#include <gtest/gtest.h>

#include <string>

#include "impls/cpu_simd/cpu_simd.hpp"
#include "props/test_cpu_simd_support.hpp"

namespace flashcheck {
namespace {

using cli::CaseOutcome;
using simd_testing::explain;
using simd_testing::grade;
using simd_testing::make_subject;
using simd_testing::unavailable_reason;

CaseRecipe killing_case() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 24, .lk = 70, .dk = 64, .dv = 64};
  r.distribution = "large_scores";
  r.mask = "causal";
  r.seed = 2002;
  return r;
}

class MaxLane0 : public testing::TestWithParam<std::string> {};

TEST_P(MaxLane0, IsListedWithItsSeedAndClass) {
  const auto subject = make_subject(GetParam());
  const auto mutants = subject->mutants();
  ASSERT_EQ(mutants.size(), 1u);
  EXPECT_EQ(mutants[0].name, kMaxLane0Mutant);
  EXPECT_EQ(mutants[0].seed, "002");
  EXPECT_EQ(mutants[0].bug_class, "wrong-result");
  EXPECT_FALSE(mutants[0].description.empty());
  EXPECT_EQ(make_subject(GetParam() + "@max-lane0")->name(), GetParam() + "@max-lane0");
  EXPECT_THROW(make_subject(GetParam() + "@no-such-bug"), std::invalid_argument);
}

TEST_P(MaxLane0, IsKilledWhereTheCorrectKernelPasses) {
  auto correct = make_subject(GetParam());
  if (const std::string why = unavailable_reason(*correct); !why.empty()) GTEST_SKIP() << why;
  auto mutant = make_subject(GetParam() + "@max-lane0");

  const CaseOutcome good = grade(*correct, killing_case());
  ASSERT_EQ(good.status, CaseOutcome::Status::pass) << explain(good);
  const CaseOutcome bad = grade(*mutant, killing_case());
  ASSERT_EQ(bad.status, CaseOutcome::Status::fail) << bad.message;
  ASSERT_TRUE(bad.verdict.has_value());
  EXPECT_FALSE(bad.verdict->pass);
  // The diagnosis: exp overflowed to inf, and inf / inf left NaN in O.
  EXPECT_GT(bad.verdict->o_metrics.nonfinite_where_finite, 0) << explain(bad);
}

INSTANTIATE_TEST_SUITE_P(Subjects, MaxLane0,
                         testing::Values(std::string(kCpuAvx2Name), std::string(kCpuAvx512Name),
                                         std::string(kCpuNeonName)),
                         [](const testing::TestParamInfo<std::string>& subject) {
                           std::string name = subject.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

TEST(MaxLane0, Fp16VariantHasNoMutants) {
  EXPECT_TRUE(make_subject(kCpuNeonFp16Name)->mutants().empty());
  EXPECT_THROW(make_subject(std::string(kCpuNeonFp16Name) + "@max-lane0"), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
