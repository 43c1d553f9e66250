// Drift analysis: the log-log slope fit, the contract reference, the diagnosis, and a
// whole sweep that tells an fp16-accumulating kernel from an fp32 one.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/generator.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/contract_reference.hpp"
#include "verdict/drift.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

TEST(DriftSlope, FitsPowerLawsAndSkipsExactPoints) {
  const std::vector<int64_t> lk{64, 256, 1024, 4096, 16384};
  std::vector<double> err;
  for (int64_t n : lk) err.push_back(3e-8 * std::sqrt(static_cast<double>(n)));
  const SlopeFit f = fit_loglog_slope(lk, err);
  ASSERT_TRUE(f.slope.has_value());
  EXPECT_NEAR(*f.slope, 0.5, 1e-12);
  EXPECT_EQ(f.points, 5);

  err = {0.0, 0.0, 1e-7, 4e-7, 1.6e-6};  // the exact points carry no growth information
  const SlopeFit g = fit_loglog_slope(lk, err);
  ASSERT_TRUE(g.slope.has_value());
  EXPECT_NEAR(*g.slope, 1.0, 1e-12);
  EXPECT_EQ(g.points, 3);

  err = {0.0, 0.0, 0.0, 1e-7, 2e-7};
  EXPECT_FALSE(fit_loglog_slope(lk, err).slope.has_value());
}

DriftSeries series(std::vector<double> kernel, std::vector<double> reference, int fail_from = 99) {
  DriftSeries s;
  s.distribution = "synthetic";
  const int64_t lks[] = {64, 256, 1024, 4096, 16384};
  for (size_t i = 0; i < kernel.size(); ++i) {
    DriftPoint p;
    p.lk = lks[i];
    p.kernel_error = kernel[i];
    p.reference_error = reference[i];
    p.verdict_pass = static_cast<int>(i) < fail_from;
    s.points.push_back(p);
  }
  diagnose_drift(s);
  return s;
}

TEST(DriftDiagnosis, NamesDriftOnlyForFasterGrowth) {
  const std::vector<double> flat{1e-7, 1.1e-7, 0.9e-7, 1e-7, 1.2e-7};
  const std::vector<double> linear{1e-7, 4e-7, 1.6e-6, 6.4e-6, 2.56e-5};
  EXPECT_TRUE(series(linear, flat).drift);
  EXPECT_NE(series(linear, flat).diagnosis.find("accumulator drift"), std::string::npos);
  EXPECT_FALSE(series(flat, flat).drift);
  EXPECT_FALSE(series(linear, linear).drift) << "growing like the contract reference is not drift";
  // Out of budget but no faster growth (a constant-factor bug): not drift, said so.
  const DriftSeries offset = series({1e-5, 1e-5, 1e-5, 1e-5, 1e-5}, flat, 0);
  EXPECT_FALSE(offset.drift);
  EXPECT_NE(offset.diagnosis.find("not drift"), std::string::npos) << offset.diagnosis;
}

// A kernel that accumulates in fp16: the contract reference of an fp16 contract.
class HalfAccumulator : public Backend {
 public:
  std::string name() const override { return "fp16-accumulator"; }
  std::string description() const override { return "textbook loop with every intermediate in fp16"; }
  Capabilities capabilities() const override { return {}; }
  RunResult run(const AttentionCase& c) override { return {RunResult::Status::ok, "", contract_reference(c, DType::f16)}; }
};

TEST(ContractReference, Fp32ReferencePassesTheFp32Verdict) {
  for (const char* dist : {"normal", "flat", "large_scores", "same_sign_v"}) {
    for (const char* mask : {"none", "causal", "masked_rows"}) {
      CaseRecipe r;
      r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 9, .lk = 70, .dk = 64, .dv = 32};
      r.distribution = dist;
      r.mask = mask;
      r.softcap = 20.0f;
      r.sinks = true;
      r.max_bias = 4.0f;
      const AttentionCase c = generate(r);
      const OracleResult oracle = run_oracle(c);
      const Verdict v = judge(c, oracle, contract_reference(c, DType::f32));
      EXPECT_TRUE(v.pass) << dist << "/" << mask << ": " << v.summary();
    }
  }
}

TEST(DriftSweep, TellsAnFp16AccumulatorFromAnFp32Kernel) {
  DriftPlan plan;
  plan.distributions = {"same_sign_v"};
  plan.key_lengths = geometric_key_lengths(4096);
  auto textbook = make_cpu_textbook_backend(1);
  const std::vector<DriftSeries> good = run_drift(*textbook, plan);
  ASSERT_EQ(good.size(), 1u);
  EXPECT_FALSE(good[0].drift) << good[0].diagnosis;
  HalfAccumulator half;
  const std::vector<DriftSeries> bad = run_drift(half, plan);
  EXPECT_TRUE(bad[0].drift) << bad[0].diagnosis;
  EXPECT_GT(bad[0].points.back().kernel_error, 100 * bad[0].points.back().reference_error);
}

}  // namespace
}  // namespace flashcheck
