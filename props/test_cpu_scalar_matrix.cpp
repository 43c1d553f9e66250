// Every correct cpu-scalar variant against the oracle on every case of the default check
// matrix: each case's oracle is computed once and shared by the variants. The write path
// (cpu-scalar-setrows) runs where the case stores K/V quantized and declines the rest, and
// the cases whose bytes no quantizer writes (--v-nan-scale).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/check_matrix.hpp"
#include "props/test_cpu_scalar_support.hpp"

namespace flashcheck {
namespace {

using cpu_scalar_testing::explain;
using cpu_scalar_testing::GradedCase;

const std::vector<std::string> kReaders{"cpu-scalar", "cpu-scalar-finite-math", "cpu-scalar-fast-math",
                                        "cpu-scalar-tiled"};

class CpuScalarDefaultMatrix : public ::testing::TestWithParam<size_t> {};

TEST_P(CpuScalarDefaultMatrix, CorrectVariantsPassTheVerdict) {
  const cli::MatrixEntry entry = cli::default_matrix(cli::kDefaultMatrixSeed).at(GetParam());
  SCOPED_TRACE(entry.family);
  GradedCase g(entry.recipe);
  for (const std::string& spec : kReaders) {
    const cli::CaseOutcome o = g.grade(spec);
    EXPECT_EQ(o.status, cli::CaseOutcome::Status::pass) << explain(o);
  }
  const cli::CaseOutcome setrows = g.grade("cpu-scalar-setrows");
  const bool written_by_a_quantizer = g.c.has_quantized_kv() && !entry.recipe.v_nan_scale;
  const auto expected = written_by_a_quantizer ? cli::CaseOutcome::Status::pass : cli::CaseOutcome::Status::unsupported;
  EXPECT_EQ(setrows.status, expected) << explain(setrows);
}

INSTANTIATE_TEST_SUITE_P(Entries, CpuScalarDefaultMatrix,
                         ::testing::Range<size_t>(0, cli::default_matrix(cli::kDefaultMatrixSeed).size()));

}  // namespace
}  // namespace flashcheck
