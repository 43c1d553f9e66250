// Every correct vectorised subject against the verdict on the default check matrix
// (cli::default_matrix(kDefaultMatrixSeed)): one test per (subject, entry), skipped
// with the reason where the ISA or qemu is missing. cpu-neon runs under qemu-user, so
// it takes the entries whose oracle and emulation cost stay small; cpu-neon-fp16
// declares fp16 arithmetic and is held to NMSE < 5e-4 on the benign entries instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "cli/check_matrix.hpp"
#include "core/metrics.hpp"
#include "impls/cpu_simd/cpu_simd.hpp"
#include "props/test_cpu_simd_support.hpp"

namespace flashcheck {
namespace {

using cli::CaseOutcome;
using simd_testing::explain;
using simd_testing::make_subject;
using simd_testing::unavailable_reason;

const std::vector<cli::MatrixEntry>& matrix() {
  static const std::vector<cli::MatrixEntry> m = cli::default_matrix(cli::kDefaultMatrixSeed);
  return m;
}

// Multiply-adds of one attention pass: what the oracle and the emulated kernel pay.
double work(const CaseShape& s) { return static_cast<double>(s.batch * s.hq * s.lq * s.lk * (s.dk + s.dv)); }

// Entries cheap enough to run under emulation: about 4 s of qemu at most.
constexpr double kNeonWorkLimit = 3e7;

std::vector<size_t> all_entries() {
  std::vector<size_t> v(matrix().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

std::vector<size_t> neon_entries() {
  std::vector<size_t> v;
  for (size_t i = 0; i < matrix().size(); ++i)
    if (work(matrix()[i].recipe.shape) <= kNeonWorkLimit) v.push_back(i);
  return v;
}

// Benign for fp16 arithmetic: moderate scores and unit-scale V, K and V stored in f16.
std::vector<size_t> fp16_entries() {
  std::vector<size_t> v;
  for (size_t i : neon_entries()) {
    const CaseRecipe& r = matrix()[i].recipe;
    const bool benign = r.distribution == "normal" || r.distribution == "uniform";
    const bool f16_kv = r.k_type == DType::f16 && r.v_type == DType::f16 && r.k_quant.empty() && r.v_quant.empty();
    if (benign && f16_kv) v.push_back(i);
  }
  return v;
}

class SimdMatrix : public testing::TestWithParam<std::tuple<std::string, size_t>> {};

TEST_P(SimdMatrix, CorrectKernelPassesTheVerdict) {
  const auto& [subject, index] = GetParam();
  auto backend = make_subject(subject);
  if (const std::string why = unavailable_reason(*backend); !why.empty()) GTEST_SKIP() << why;
  const cli::MatrixEntry& entry = matrix().at(index);
  const CaseOutcome out = simd_testing::grade(*backend, entry.recipe, entry.family);
  ASSERT_NE(out.status, CaseOutcome::Status::error) << out.message;
  if (out.status == CaseOutcome::Status::unsupported) GTEST_SKIP() << "capability absent: " << out.message;
  EXPECT_EQ(out.status, CaseOutcome::Status::pass) << entry.family << "\n" << explain(out);
}

std::string param_name(const testing::TestParamInfo<SimdMatrix::ParamType>& info) {
  std::string name = std::get<0>(info.param) + "_entry" + std::to_string(std::get<1>(info.param));
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(X86, SimdMatrix,
                         testing::Combine(testing::Values(std::string(kCpuAvx2Name), std::string(kCpuAvx512Name)),
                                          testing::ValuesIn(all_entries())),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Neon, SimdMatrix,
                         testing::Combine(testing::Values(std::string(kCpuNeonName)),
                                          testing::ValuesIn(neon_entries())),
                         param_name);

TEST(SimdMatrixSubsets, NeonSubsetCoversTheMatrixFeatures) {
  // The emulated subset must still reach every mask pattern and option the matrix has.
  bool softcap = false, alibi = false, sinks = false, gqa = false, strided_layout = false, dk_ne_dv = false;
  std::vector<std::string> masks;
  for (size_t i : neon_entries()) {
    const CaseRecipe& r = matrix()[i].recipe;
    softcap |= r.softcap > 0;
    alibi |= r.max_bias > 0;
    sinks |= r.sinks;
    gqa |= r.shape.hq != r.shape.hkv;
    strided_layout |= r.layout != Layout::contiguous;
    dk_ne_dv |= r.shape.dk != r.shape.dv;
    masks.push_back(r.mask);
  }
  EXPECT_TRUE(softcap && alibi && sinks && gqa && strided_layout && dk_ne_dv);
  for (const char* mask : {"none", "causal", "window", "random", "masked_rows", "masked_tiles", "tile_edges"})
    EXPECT_NE(std::find(masks.begin(), masks.end(), mask), masks.end()) << mask;
  EXPECT_GE(neon_entries().size(), matrix().size() / 2);
}

class NeonFp16Matrix : public testing::TestWithParam<size_t> {};

// fp16 arithmetic is the declared behaviour: it runs, stays finite and close (NMSE).
TEST_P(NeonFp16Matrix, RunsWithSmallNmseOnBenignCases) {
  auto backend = make_subject(kCpuNeonFp16Name);
  if (const std::string why = unavailable_reason(*backend); !why.empty()) GTEST_SKIP() << why;
  const cli::MatrixEntry& entry = matrix().at(GetParam());
  const CaseOutcome out = simd_testing::grade(*backend, entry.recipe, entry.family);
  ASSERT_EQ(out.status == CaseOutcome::Status::pass || out.status == CaseOutcome::Status::fail, true) << out.message;
  ASSERT_TRUE(out.verdict.has_value());
  EXPECT_EQ(out.verdict->o_metrics.nonfinite_where_finite, 0) << explain(out);
  EXPECT_LT(out.verdict->o_metrics.nmse, 5e-4) << entry.family << " nmse " << out.verdict->o_metrics.nmse;
}

std::string entry_name(const testing::TestParamInfo<size_t>& entry) { return "entry" + std::to_string(entry.param); }

INSTANTIATE_TEST_SUITE_P(Benign, NeonFp16Matrix, testing::ValuesIn(fp16_entries()), entry_name);

TEST(SimdMatrixSubsets, Fp16SubsetIsNotEmpty) { EXPECT_GE(fp16_entries().size(), 5u); }

}  // namespace
}  // namespace flashcheck
