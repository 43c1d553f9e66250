// The three OpenCL backends (default, -cl-finite-math-only, -cl-fast-relaxed-math) pass
// the verdict on every case of the default check matrix they support, and on q8_0 /
// q4_0 K/V read natively through every launch path. One test per flag set, so each
// runs in its own process with its own program cache.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/check_matrix.hpp"
#include "props/test_opencl_helpers.hpp"

namespace flashcheck {
namespace {

using opencl_tests::explain;
using opencl_tests::grade;
using opencl_tests::make;

class OpenClFlagSet : public ::testing::TestWithParam<const char*> {};

// Runs every recipe, expecting a pass wherever the backend's capabilities cover the case.
void expect_all_pass(const char* backend_name, const std::vector<cli::MatrixEntry>& entries) {
  auto backend = make(backend_name);
  int passed = 0, unsupported = 0;
  for (const cli::MatrixEntry& entry : entries) {
    SCOPED_TRACE(entry.family + ": " + describe(entry.recipe));
    const AttentionCase c = generate(entry.recipe);
    cli::LazyOracle oracle(c, cli::oracle_options_for(c, 2));
    const cli::CaseOutcome outcome = grade(*backend, entry.recipe, c, oracle);
    if (outcome.status == cli::CaseOutcome::Status::unsupported) {
      // Only where the capability is honestly absent (a block scheme the kernels do not read).
      EXPECT_TRUE(unsupported_reason(backend->capabilities(), c).has_value()) << explain(outcome);
      ++unsupported;
      continue;
    }
    EXPECT_EQ(outcome.status, cli::CaseOutcome::Status::pass) << explain(outcome);
    if (outcome.status == cli::CaseOutcome::Status::pass) ++passed;
    if (outcome.verdict)
      std::printf("  %-62s worst error/budget %.3g\n", entry.family.c_str(), outcome.verdict->worst_budget_ratio);
  }
  std::printf("%s: %d passed, %d unsupported of %zu\n", backend_name, passed, unsupported, entries.size());
}

TEST_P(OpenClFlagSet, PassesTheDefaultMatrix) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  expect_all_pass(GetParam(), cli::default_matrix(cli::kDefaultMatrixSeed));
}

// q8_0 / q4_0 K and V in every combination, through prefill (with masks), the
// single-work-group decode and the K-split decode.
std::vector<cli::MatrixEntry> quantized_entries() {
  struct Spec {
    CaseShape shape;
    const char* distribution;
    const char* mask;
    const char* k_quant;
    const char* v_quant;
    int64_t window = 0;
    bool sinks = false;
  };
  const Spec specs[] = {
      {{1, 4, 2, 48, 100, 64, 64}, "normal", "causal", "ggml_q8_0", "ggml_q4_0"},
      {{1, 4, 2, 40, 96, 64, 64}, "uniform", "masked_tiles", "ggml_q4_0", "ggml_q8_0"},
      {{2, 4, 4, 33, 70, 64, 32}, "normal", "tile_edges", "ggml_q8_0", "ggml_q8_0"},
      {{1, 4, 4, 20, 64, 96, 64}, "large_scores", "random", "ggml_q4_0", "ggml_q4_0", 0, true},
      {{1, 8, 2, 1, 300, 128, 128}, "normal", "none", "ggml_q8_0", "ggml_q4_0"},
      {{1, 8, 2, 1, 1500, 64, 64}, "normal", "window", "ggml_q4_0", "ggml_q8_0", 400},
      {{2, 4, 1, 1, 2049, 64, 64}, "peaked", "causal", "ggml_q8_0", "ggml_q8_0", 0, true},
  };
  std::vector<cli::MatrixEntry> out;
  uint64_t seed = 9100;
  for (const Spec& s : specs) {
    CaseRecipe r;
    r.shape = s.shape;
    r.distribution = s.distribution;
    r.mask = s.mask;
    r.window = s.window;
    r.sinks = s.sinks;
    r.k_quant = s.k_quant;
    r.v_quant = s.v_quant;
    r.seed = ++seed;
    out.push_back({cli::family_label(r), r});
  }
  return out;
}

TEST_P(OpenClFlagSet, PassesQuantizedKvCases) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  expect_all_pass(GetParam(), quantized_entries());
}

std::string flag_set_test_name(const ::testing::TestParamInfo<const char*>& param) {
  std::string name;
  for (const char* p = param.param; *p; ++p) name += *p == '-' ? '_' : *p;
  return name;
}

INSTANTIATE_TEST_SUITE_P(OpenCl, OpenClFlagSet, ::testing::ValuesIn(opencl_tests::kFlagSetNames), flag_set_test_name);

}  // namespace
}  // namespace flashcheck
