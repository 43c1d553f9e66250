// The CUDA subjects on the default check matrix (cli::default_matrix with the default
// seed), graded as `flashcheck check` grades them: cuda-fp32 and cuda-splitkv pass every
// case they support; cuda-fp16acc runs every case and its NMSE is reported (its half
// precision statistics are not the fp32 contract, so its verdicts are printed, not asserted).
// Skips where no usable device is.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "cli/check_matrix.hpp"
#include "core/generator.hpp"
#include "impls/cuda/cuda_backends.hpp"

namespace flashcheck {
namespace {

using cuda::KernelVariant;

// A matrix entry with its case and its oracle, computed once and shared by every subject.
struct MatrixCase {
  cli::MatrixEntry entry;
  AttentionCase c;
  std::unique_ptr<cli::LazyOracle> oracle;
};

std::vector<std::unique_ptr<MatrixCase>>& matrix_cases() {
  static std::vector<std::unique_ptr<MatrixCase>> cases = [] {
    std::vector<std::unique_ptr<MatrixCase>> out;
    for (cli::MatrixEntry& e : cli::default_matrix(cli::kDefaultMatrixSeed)) {
      auto m = std::make_unique<MatrixCase>();
      m->entry = std::move(e);
      m->c = generate(m->entry.recipe);
      m->oracle = std::make_unique<cli::LazyOracle>(m->c, cli::oracle_options_for(m->c, 0));  // refers to m->c
      out.push_back(std::move(m));
    }
    return out;
  }();
  return cases;
}

class CudaMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = cuda::device_unavailable_reason()) GTEST_SKIP() << "no usable CUDA device: " << *why;
  }
};

std::string outcome_text(const cli::CaseOutcome& o) {
  std::string text = cli::status_name(o.status) + ": " + (o.verdict ? o.verdict->summary() : o.message);
  if (o.verdict)
    for (const Mismatch& m : o.verdict->worst) text += "\n    " + m.describe();
  return text;
}

// Unsupported is acceptable only where the capability is honestly absent: quantized K/V.
void expect_passes_every_supported_case(KernelVariant variant) {
  auto backend = cuda::make_cuda_backend(variant);
  int passed = 0, unsupported = 0;
  for (auto& m : matrix_cases()) {
    SCOPED_TRACE(backend->name() + " on " + m->entry.family + ": " + describe(m->entry.recipe));
    const cli::CaseOutcome o = cli::evaluate_case(*backend, m->entry.family, m->entry.recipe, m->c, *m->oracle);
    if (o.status == cli::CaseOutcome::Status::unsupported) {
      ++unsupported;
      EXPECT_TRUE(m->c.has_quantized_kv()) << "unsupported without quantized KV: " << o.message;
      continue;
    }
    EXPECT_EQ(o.status, cli::CaseOutcome::Status::pass) << outcome_text(o);
    if (o.status == cli::CaseOutcome::Status::pass) ++passed;
    std::printf("  %-12s %-58s %s worst error/budget %.3g\n", backend->name().c_str(), m->entry.family.c_str(),
                cli::status_name(o.status).c_str(), o.verdict ? o.verdict->worst_budget_ratio : 0.0);
  }
  std::printf("%s: %d passed, %d unsupported of %zu cases\n", backend->name().c_str(), passed, unsupported,
              matrix_cases().size());
  EXPECT_GT(passed, 0);
}

TEST_F(CudaMatrix, Fp32PassesEverySupportedCase) { expect_passes_every_supported_case(KernelVariant::fp32); }

TEST_F(CudaMatrix, SplitKvPassesEverySupportedCase) { expect_passes_every_supported_case(KernelVariant::splitkv); }

// The half-precision variant must run everywhere it claims support; how far it lands
// from the oracle is reported per case (NMSE as test-backend-ops computes it, and the
// verdict's worst error/budget) for the contracts work to grade.
TEST_F(CudaMatrix, Fp16AccRunsEveryCaseAndReportsItsNmse) {
  auto backend = cuda::make_cuda_backend(KernelVariant::fp16acc);
  int ran = 0, passed = 0, nan_nmse = 0;
  double worst_nmse = 0;
  for (auto& m : matrix_cases()) {
    SCOPED_TRACE(m->entry.family);
    const cli::CaseOutcome o = cli::evaluate_case(*backend, m->entry.family, m->entry.recipe, m->c, *m->oracle);
    if (o.status == cli::CaseOutcome::Status::unsupported) {
      EXPECT_TRUE(m->c.has_quantized_kv()) << o.message;
      continue;
    }
    ASSERT_TRUE(o.verdict.has_value()) << outcome_text(o);  // it ran and was judged
    ++ran;
    if (o.status == cli::CaseOutcome::Status::pass) ++passed;
    const double nmse = o.verdict->o_metrics.nmse;
    if (std::isnan(nmse))
      ++nan_nmse;  // NaN outputs: counted apart, since NaN cannot take part in the maximum
    else
      worst_nmse = std::max(worst_nmse, nmse);
    std::printf("  cuda-fp16acc %-58s %-4s NMSE %.3g (%a)  worst error/budget %.3g  non-finite %lld\n",
                m->entry.family.c_str(), cli::status_name(o.status).c_str(), nmse, nmse,
                o.verdict->worst_budget_ratio, static_cast<long long>(o.verdict->o_metrics.nonfinite_where_finite));
    RecordProperty("nmse " + m->entry.family, std::to_string(nmse));
  }
  std::printf("cuda-fp16acc: %d of %d cases within the fp32 budget; worst non-NaN NMSE %.3g (%a); %d with NaN NMSE\n",
              passed, ran, worst_nmse, worst_nmse, nan_nmse);
  EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace flashcheck
