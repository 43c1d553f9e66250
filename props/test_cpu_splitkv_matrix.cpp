// Every registered split-KV / paged backend passes the verdict on every case of the
// default check matrix it supports (one test per matrix entry, the oracle shared by the
// backends); the block-quantized KV entries are reported unsupported.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "cli/check_matrix.hpp"
#include "props/test_cpu_splitkv_helpers.hpp"

namespace flashcheck {
namespace {

using splitkv_tests::make;

const std::vector<cli::MatrixEntry>& matrix() {
  static const std::vector<cli::MatrixEntry> m = cli::default_matrix(cli::kDefaultMatrixSeed);
  return m;
}

class DefaultMatrix : public ::testing::TestWithParam<size_t> {};

TEST_P(DefaultMatrix, EveryBackendPasses) {
  const cli::MatrixEntry& entry = matrix().at(GetParam());
  SCOPED_TRACE(entry.family + ": " + describe(entry.recipe));
  const AttentionCase c = generate(entry.recipe);
  cli::LazyOracle oracle(c, cli::oracle_options_for(c, 1));
  for (const SplitKvConfig& config : registered_splitkv_configs()) {
    auto backend = make(config.name);
    const cli::CaseOutcome outcome = cli::evaluate_case(*backend, entry.family, entry.recipe, c, oracle);
    // Block-quantized K/V is the one capability these kernels honestly lack (they read
    // f32/f16/bf16 storage); every other matrix case must run and pass.
    const auto expected = c.has_quantized_kv() ? cli::CaseOutcome::Status::unsupported : cli::CaseOutcome::Status::pass;
    EXPECT_EQ(outcome.status, expected)
        << config.name << ": " << cli::status_name(outcome.status) << " " << outcome.message
        << (outcome.verdict ? outcome.verdict->summary() : std::string());
    if (outcome.verdict)
      std::printf("  %-18s worst error/budget %.3g\n", config.name.c_str(), outcome.verdict->worst_budget_ratio);
  }
}

std::string entry_name(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = std::to_string(info.param) + "_";
  for (char ch : matrix().at(info.param).family) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(CpuSplitKv, DefaultMatrix, ::testing::Range<size_t>(0, matrix().size()), entry_name);

}  // namespace
}  // namespace flashcheck
