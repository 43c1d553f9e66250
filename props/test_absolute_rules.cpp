// The absolute rules that rerun the subject: every correct subject holds them on cases
// with hidden keys of every kind (structural, explicit columns, windows, quantized K/V),
// and each rule breaks on a subject with the behaviour it forbids.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/generator.hpp"
#include "impls/builtin_backends.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/test_probe_subjects.hpp"
#include "verdict/absolute_rules.hpp"
#include "verdict/probe_cases.hpp"
#include "props/support/recipe_builders.hpp"

namespace flashcheck {
namespace {

using namespace probe_subjects;

using testing::recipe;

// Cases whose hidden keys reach every masking path: causal plus explicit -inf columns at
// tile edges, causal alone, a sliding window (keys hidden from every row before it),
// inf/NaN stored at hidden keys, explicit random masks in decode, and quantized K/V under
// a causal mask.
std::vector<CaseRecipe> rule_cases() {
  CaseRecipe window = recipe({1, 2, 2, 16, 72, 64, 64}, "normal", "window", 31);
  window.window = 20;
  CaseRecipe quantized = recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "causal", 33);
  quantized.k_quant = quantized.v_quant = "ggml_q8_0";
  return {recipe({1, 4, 2, 40, 100, 64, 64}, "normal", "tile_edges", 30),
          recipe({1, 4, 2, 12, 50, 64, 64}, "normal", "causal", 35),
          window,
          recipe({1, 2, 1, 8, 40, 64, 64}, "special", "causal", 32),
          recipe({2, 4, 2, 1, 90, 64, 64}, "normal", "random", 34),
          quantized};
}

RunOutput run_ok(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(b.name() + " did not run: " + r.message);
  return std::move(r.output);
}

const RuleResult& find_rule(const std::vector<RuleResult>& all, const char* name) {
  for (const RuleResult& r : all)
    if (r.rule == name) return r;
  throw std::out_of_range(std::string("no rule ") + name);
}

// These kernels' P x V runs over every key of a tile, masked ones with weight 0, although
// their declared contract says masked K/V are never read: 0 x NaN reaches O (reported for
// the contract table; see NanAtMaskedKeysReachesTileWideProducts).
bool weighs_masked_v_by_zero(const std::string& subject) {
  return subject == "model-esimd-splitkv" || subject == "model-hexagon-hmx";
}

bool reads_masked_kv(const Backend& b, const std::string& subject) {
  const Contract* contract = find_contract(b.capabilities().contract);
  return (contract && !contract->masked_kv_unread) || weighs_masked_v_by_zero(subject);
}

class CorrectSubjectRules : public ::testing::TestWithParam<std::string> {};

TEST_P(CorrectSubjectRules, HoldOnEveryCaseItTakes) {
  auto subject = builtin_registry().make(GetParam());
  std::string why;
  if (!subject->available(&why)) GTEST_SKIP() << GetParam() << " is not available here: " << why;
  AbsoluteRuleOptions options;
  options.masked_kv_may_be_read = reads_masked_kv(*subject, GetParam());
  int checked = 0, masked_checked = 0;
  for (const CaseRecipe& r : rule_cases()) {
    const AttentionCase c = generate(r);
    if (unsupported_reason(subject->capabilities(), c)) continue;
    const RunResult first = run_checked(*subject, c);
    if (first.status == RunResult::Status::unsupported) continue;
    ASSERT_EQ(first.status, RunResult::Status::ok) << first.message;
    SCOPED_TRACE(describe(r));
    const std::vector<RuleResult> rules = check_absolute_rules(*subject, c, first.output, options);
    ASSERT_EQ(rules.size(), 3u);
    for (const RuleResult& rule : rules) EXPECT_TRUE(rule.holds) << describe(rule);
    EXPECT_TRUE(find_rule(rules, kRuleRerun).applicable);
    masked_checked += find_rule(rules, kRuleMaskedKeys).applicable ? 1 : 0;
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no case fits the subject";
  EXPECT_GT(masked_checked, 0) << "every case hides keys, yet the masked-key rule never applied";
}

std::vector<std::string> subject_names() { return builtin_registry().names(); }

std::string test_name(const ::testing::TestParamInfo<std::string>& subject) {
  std::string s = subject.param;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Registry, CorrectSubjectRules, ::testing::ValuesIn(subject_names()), test_name);

TEST(ThreadKnob, SubjectsThatSpreadRowsOverThreadsTakeIt) {
  for (const char* name : {"cpu-textbook", "cpu-scalar", "cpu-scalar-tiled", "cpu-splitkv", "cpu-paged",
                           "cpu-avx2", "model-metal-steel", "model-esimd-splitkv", "model-hexagon-hmx"}) {
    auto b = builtin_registry().make(name);
    ASSERT_TRUE(b) << name;
    EXPECT_TRUE(b->set_threads(1)) << name;
    EXPECT_TRUE(b->set_threads(0)) << name;
  }
  for (const char* name : {"opencl", "cpu-neon"}) EXPECT_FALSE(builtin_registry().make(name)->set_threads(2)) << name;
}

TEST(ThreadIndependence, ReportsBitIdenticalResults) {
  auto b = make_cpu_textbook_backend();
  const AttentionCase c = generate(recipe({1, 4, 2, 16, 50, 64, 64}, "normal", "causal", 40));
  const RuleResult r = check_thread_independence(*b, c);
  EXPECT_TRUE(r.applicable && r.holds) << describe(r);
  EXPECT_NE(r.detail.find("bit-identical"), std::string::npos) << r.detail;
  EXPECT_EQ(r.runs, 2);
}

TEST(ThreadIndependence, AcceptsDifferencesWithinTheBudgetAndSaysSo) {
  UlpOffWithThreads b;
  const AttentionCase c = generate(recipe({1, 4, 2, 16, 50, 64, 64}, "normal", "causal", 40));
  const OracleResult oracle = run_oracle(c);
  AbsoluteRuleOptions o;
  o.oracle = &oracle;
  const RuleResult r = check_thread_independence(b, c, o);
  EXPECT_TRUE(r.holds) << describe(r);
  EXPECT_NE(r.detail.find("not bit-identical"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("0x"), std::string::npos) << "the difference is printed in %a: " << r.detail;
}

TEST(ThreadIndependence, BreaksWhenAnotherThreadCountChangesTheResult) {
  LostStoreWithThreads b;
  const AttentionCase c = generate(recipe({1, 4, 2, 16, 50, 64, 64}, "normal", "causal", 40));
  const RuleResult r = check_thread_independence(b, c);
  EXPECT_FALSE(r.holds) << describe(r);
  EXPECT_NE(r.detail.find("beyond the budget"), std::string::npos) << r.detail;
}

TEST(ThreadIndependence, IsNotApplicableWithoutAThreadCount) {
  auto b = builtin_registry().make("opencl");
  const AttentionCase c = generate(recipe({1, 2, 2, 4, 40, 64, 64}, "normal", "none", 41));
  const RuleResult r = check_thread_independence(*b, c);
  EXPECT_FALSE(r.applicable);
  EXPECT_TRUE(r.holds);
  EXPECT_EQ(r.runs, 0);
}

TEST(RerunDeterminism, BreaksWhenARunLosesAStore) {
  LostStoreEveryOtherRun b;
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "none", 42));
  const RunOutput first = run_ok(b, c);
  const RuleResult r = check_rerun_determinism(b, c, first);
  EXPECT_FALSE(r.holds);
  EXPECT_NE(r.detail.find("O[b=0 h=0 i=0 col=0]"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("0x0p+0"), std::string::npos) << "the lost store prints as zero in %a: " << r.detail;
}

TEST(RerunDeterminism, HoldsForADeterministicSubject) {
  auto b = make_cpu_textbook_backend();
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "none", 42));
  const RuleResult r = check_rerun_determinism(*b, c, run_ok(*b, c));
  EXPECT_TRUE(r.holds) << describe(r);
  EXPECT_EQ(r.runs, 1);
}

TEST(MaskedKeys, BreakWhenTheMaskIsNotApplied) {
  IgnoresMask b;
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "tile_edges", 43));
  const RunOutput first = run_ok(b, c);
  const RuleResult r = check_masked_keys_have_no_influence(b, c, first);
  EXPECT_FALSE(r.holds) << describe(r);
  EXPECT_NE(r.detail.find("hidden from every row"), std::string::npos) << r.detail;
  EXPECT_EQ(r.runs, 1) << "the first garbage already shows the leak";
}

TEST(MaskedKeys, AreNotApplicableWithoutHiddenKeys) {
  auto b = make_cpu_textbook_backend();
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "none", 44));
  const RuleResult r = check_masked_keys_have_no_influence(*b, c, run_ok(*b, c));
  EXPECT_FALSE(r.applicable);
  EXPECT_EQ(r.runs, 0);
}

TEST(MaskedKeys, WriteNonFiniteGarbageOnlyWhereTheContractAllows) {
  auto b = make_cpu_textbook_backend();
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "tile_edges", 43));
  const RunOutput first = run_ok(*b, c);
  AbsoluteRuleOptions unread, read;
  read.masked_kv_may_be_read = true;
  const RuleResult strict = check_masked_keys_have_no_influence(*b, c, first, unread);
  const RuleResult lenient = check_masked_keys_have_no_influence(*b, c, first, read);
  EXPECT_TRUE(strict.holds && lenient.holds) << describe(strict) << "\n" << describe(lenient);
  EXPECT_NE(strict.detail.find("NaN and +-inf"), std::string::npos) << strict.detail;
  EXPECT_EQ(lenient.detail.find("NaN and +-inf"), std::string::npos) << lenient.detail;
  EXPECT_GT(strict.runs, lenient.runs);
}

TEST(MaskedKeys, RequantizeGarbageForBlockQuantizedKv) {
  auto b = builtin_registry().make("cpu-scalar");
  CaseRecipe r = recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "causal", 45);
  r.k_quant = r.v_quant = "mxfp8_e4m3";
  r.kv_layout = KvRowLayout::soa;
  const AttentionCase c = generate(r);
  const RuleResult rule = check_masked_keys_have_no_influence(*b, c, run_ok(*b, c));
  EXPECT_TRUE(rule.holds) << describe(rule);
  EXPECT_NE(rule.detail.find("finite values only"), std::string::npos) << rule.detail;
}

TEST(MaskedKeys, OneKeySetNoRowHidesIsNotApplicable) {
  auto b = make_cpu_textbook_backend();
  const AttentionCase c = generate(recipe({1, 2, 2, 4, 40, 64, 64}, "normal", "causal", 46));
  const RuleResult r = check_keys_have_no_influence(*b, c, run_ok(*b, c), {0, 39}, {}, false);
  EXPECT_FALSE(r.applicable) << "key 0 is seen by every row";
}

// The two models' tile-wide P x V multiplies masked V by 0: with NaN written there the rule
// breaks although their declared contracts say masked K/V are never read.
TEST(MaskedKeys, NanAtMaskedKeysReachesTileWideProducts) {
  for (const char* name : {"model-esimd-splitkv", "model-hexagon-hmx"}) {
    auto b = builtin_registry().make(name);
    CaseRecipe r = recipe({1, 4, 2, 8, 96, 64, 64}, "normal", "causal", 47);
    r.q_type = r.k_type = r.v_type = DType::f16;
    const AttentionCase c = generate(r);
    const RuleResult strict = check_masked_keys_have_no_influence(*b, c, run_ok(*b, c));
    EXPECT_FALSE(strict.holds) << name;
    EXPECT_NE(strict.detail.find("NaN and +-inf"), std::string::npos) << strict.detail;
  }
}

TEST(AbsoluteRules, DescribeNamesTheRuleAndItsState) {
  RuleResult r{kRuleRerun, false, true, "a second run changed 1 of 8 element(s)", 1};
  EXPECT_EQ(describe(r), "rerun determinism: BROKEN: a second run changed 1 of 8 element(s)");
  r.holds = true;
  r.applicable = false;
  EXPECT_EQ(describe(r).substr(0, 34), "rerun determinism: not applicable:");
}

}  // namespace
}  // namespace flashcheck
