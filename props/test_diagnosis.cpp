// The diagnosis names every seeded bug's class: for each mutant of docs/mutants.md that
// runs here, its kill case fails the verdict and diagnose() returns the class the
// mutant is listed with (MutantInfo::bug_class), while the correct subject passes the
// same case and holds every absolute rule. Classes no mutant carries are shown on
// subjects that have the behaviour: nondeterminism and thread-dependence on wrapped
// cpu-textbook runs, overflow on max-lane0 with large V.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/generator.hpp"
#include "impls/builtin_backends.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/test_probe_subjects.hpp"
#include "verdict/absolute_rules.hpp"
#include "verdict/diagnosis.hpp"
#include "verdict/verdict.hpp"
#include "props/support/recipe_builders.hpp"

namespace flashcheck {
namespace {

using testing::recipe;
using testing::quantized;

// The kill case of a (subject, mutant) pair: the "kills" column of docs/mutants.md, built
// as the subjects' own mutant suites build it. killed is false where the mutant is
// correct by design on that subject (neg-inf-init under IEEE in the default OpenCL build).
struct Kill {
  CaseRecipe recipe;
  bool killed = true;
};

bool is_ieee_cpu_scalar(const std::string& subject) {
  return subject == "cpu-scalar" || subject == "cpu-scalar-tiled" || subject == "cpu-scalar-setrows";
}
bool is_opencl(const std::string& subject) { return subject.rfind("opencl", 0) == 0; }

std::optional<Kill> kill_case(const std::string& subject, const std::string& mutant) {
  if (mutant == "vkq16") return Kill{recipe({1, 2, 2, 4, 256, 64, 64}, "normal", "none", 101)};
  if (mutant == "gqa-head-modulo") return Kill{recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 102)};
  if (mutant == "causal-offset") return Kill{recipe({1, 2, 2, 4, 64, 64, 64}, "normal", "causal", 103)};
  if (mutant == "soa-head-offset-twice")
    return Kill{quantized(recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 104), "mxfp8_e4m3", KvRowLayout::soa)};
  if (mutant == "nibble-order-swapped")
    return Kill{quantized(recipe({1, 2, 2, 8, 64, 64, 64}, "normal", "none", 105), "ggml_q4_0", KvRowLayout::aos)};
  if (mutant == "inf-plus-slope-mask") {
    // Under IEEE only non-finite K/V at hidden keys expose it; finite math breaks on finite data.
    if (is_ieee_cpu_scalar(subject)) return Kill{recipe({1, 2, 1, 8, 40, 64, 64}, "special", "causal", 106)};
    CaseRecipe r = recipe({1, 4, 4, 16, 48, 64, 64}, "normal", "random", 107);
    r.max_bias = 8.0f;
    return Kill{r};
  }
  if (mutant == "neg-inf-init") {
    if (is_opencl(subject))
      return Kill{recipe({1, 4, 2, 80, 113, 64, 64}, "normal", "tile_edges", 4004), subject != "opencl"};
    CaseRecipe r = recipe({1, 4, 4, 16, 80, 64, 64}, "normal", "window", 108);
    r.window = 24;
    return Kill{r};
  }
  if (mutant == "mx-scale-round")
    return Kill{quantized(recipe({1, 2, 2, 8, 64, 64, 64}, "normal", "none", 109), "mxfp8_e4m3", KvRowLayout::aos)};
  if (mutant == "e8m0-ff-as-inf") {
    CaseRecipe r = quantized(recipe({1, 2, 2, 8, 64, 64, 64}, "normal", "none", 110), "mxfp8_e4m3", KvRowLayout::soa);
    r.v_nan_scale = true;
    return Kill{r};
  }
  if (mutant == "merge-no-rescale") {
    if (subject == "cuda-splitkv") return Kill{recipe({1, 8, 2, 1, 1000, 64, 64}, "large_scores", "none", 2)};
    return Kill{recipe({1, 4, 2, 1, 300, 64, 64}, "normal", "none", 21)};
  }
  if (mutant == "merge-no-empty-guard") return Kill{recipe({1, 4, 4, 64, 96, 64, 64}, "normal", "masked_rows", 22)};
  if (mutant == "paged-table-off-by-one") return Kill{recipe({2, 4, 2, 1, 300, 64, 64}, "normal", "causal", 23)};
  if (mutant == "max-lane0") {
    if (subject == "model-esimd-splitkv") return Kill{recipe({1, 4, 2, 24, 200, 64, 64}, "large_scores", "causal", 5)};
    if (subject == "cuda-fp32") return Kill{recipe({1, 4, 4, 64, 96, 64, 64}, "normal", "random", 2)};
    return Kill{recipe({1, 4, 2, 24, 70, 64, 64}, "large_scores", "causal", 2002)};
  }
  if (mutant == "missing-exp-clamp") return Kill{recipe({1, 4, 2, 24, 300, 64, 64}, "normal", "causal", 3)};
  if (mutant == "tile-class-off-by-one") return Kill{recipe({1, 4, 2, 64, 200, 64, 64}, "normal", "tile_edges", 4005)};
  if (mutant == "lse-log2") return Kill{recipe({1, 4, 2, 40, 72, 64, 64}, "normal", "causal", 21)};
  if (mutant == "fp16-softmax-stats") {
    CaseRecipe r = recipe({1, 4, 2, 4, 256, 64, 64}, "same_sign_v", "random", 7);
    r.q_type = r.k_type = r.v_type = DType::f16;
    return Kill{r};
  }
  return std::nullopt;
}

struct ListedMutant {
  std::string subject;
  MutantInfo info;
};
void PrintTo(const ListedMutant& m, std::ostream* os) { *os << m.subject << "@" << m.info.name; }

std::vector<ListedMutant> every_listed_mutant() {
  std::vector<ListedMutant> out;
  for (const std::string& subject : builtin_registry().names())
    for (const MutantInfo& m : builtin_registry().make(subject)->mutants()) out.push_back({subject, m});
  return out;
}

OracleResult oracle_of(const AttentionCase& c) {
  OracleOptions opts;
  opts.out_type = c.o_type;
  return run_oracle(c, opts);
}

RunOutput run_ok(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(b.name() + " did not run: " + r.message);
  return std::move(r.output);
}

const Contract& contract_of(const Backend& b) {
  const Contract* contract = find_contract(b.capabilities().contract);
  return contract ? *contract : default_contract();
}

// Subjects whose P x V runs over every key of a tile, masked ones with weight 0, although
// their declared contract says masked K/V are never read: 0 x NaN reaches O.
bool weighs_masked_v_by_zero(const std::string& subject) {
  return subject == "model-esimd-splitkv" || subject == "model-hexagon-hmx";
}

// Whether the subject may read K/V at masked keys (then only finite garbage goes there).
bool reads_masked_kv(const Backend& b, const std::string& subject) {
  return !contract_of(b).masked_kv_unread || weighs_masked_v_by_zero(subject);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(DiagnosisCatalogue, EveryListedMutantHasAKillCaseAndAKnownClass) {
  const std::vector<ListedMutant> all = every_listed_mutant();
  EXPECT_FALSE(all.empty());
  for (const ListedMutant& m : all) {
    EXPECT_TRUE(kill_case(m.subject, m.info.name).has_value()) << m.subject << "@" << m.info.name;
    EXPECT_NE(std::find(kBugClasses.begin(), kBugClasses.end(), m.info.bug_class), kBugClasses.end())
        << m.subject << "@" << m.info.name << ": " << m.info.bug_class;
  }
}

class MutantDiagnosis : public ::testing::TestWithParam<ListedMutant> {};

TEST_P(MutantDiagnosis, KillCaseFailsWithItsClassWhileTheCorrectSubjectHoldsEveryRule) {
  const ListedMutant& m = GetParam();
  auto correct = builtin_registry().make(m.subject);
  std::string why;
  if (!correct->available(&why)) GTEST_SKIP() << m.subject << " is not available here: " << why;
  const std::optional<Kill> kill = kill_case(m.subject, m.info.name);
  ASSERT_TRUE(kill.has_value());
  SCOPED_TRACE(m.subject + "@" + m.info.name + " on " + describe(kill->recipe));
  const auto t0 = std::chrono::steady_clock::now();

  const AttentionCase c = generate(kill->recipe);
  const OracleResult oracle = oracle_of(c);
  const RunOutput good = run_ok(*correct, c);
  const Verdict good_verdict = judge(c, oracle, good);
  EXPECT_TRUE(good_verdict.pass) << good_verdict.summary();
  AbsoluteRuleOptions rules;
  rules.masked_kv_may_be_read = reads_masked_kv(*correct, m.subject);
  rules.oracle = &oracle;
  for (const RuleResult& r : check_absolute_rules(*correct, c, good, rules)) EXPECT_TRUE(r.holds) << describe(r);

  auto mutant = builtin_registry().make(backend_spec(m.subject, m.info.name));
  const RunOutput bad = run_ok(*mutant, c);
  const Verdict bad_verdict = judge(c, oracle, bad);
  if (!kill->killed) {
    EXPECT_TRUE(bad_verdict.pass) << "correct by design here, yet: " << bad_verdict.summary();
    return;
  }
  ASSERT_FALSE(bad_verdict.pass) << "the kill case does not kill the mutant";
  DiagnosisOptions options;
  options.failing_output = &bad;
  options.masked_kv_may_be_read = reads_masked_kv(*mutant, m.subject);
  options.operands = contract_of(*mutant).operands;
  options.accumulation = contract_of(*mutant).accumulation;
  const Diagnosis d = diagnose(*mutant, c, oracle, bad_verdict, options);
  EXPECT_EQ(d.bug_class, m.info.bug_class) << describe(d);
  std::printf("%s@%s (%.2f s): %s\n", m.subject.c_str(), m.info.name.c_str(), seconds_since(t0),
              describe(d).c_str());
}

std::string test_name(const ::testing::TestParamInfo<ListedMutant>& info) {
  std::string s = info.param.subject + "_" + info.param.info.name;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Listed, MutantDiagnosis, ::testing::ValuesIn(every_listed_mutant()), test_name);

// Diagnoses a subject's run on c, which must fail the verdict.
Diagnosis diagnose_failing(Backend& b, const AttentionCase& c, const RunOutput& out,
                           const DiagnosisOptions& extra = {}) {
  const OracleResult oracle = oracle_of(c);
  const Verdict v = judge(c, oracle, out);
  EXPECT_FALSE(v.pass) << "the case must fail for a diagnosis";
  DiagnosisOptions o = extra;
  o.failing_output = &out;
  Diagnosis d = diagnose(b, c, oracle, v, o);
  std::printf("%s: %s\n", b.name().c_str(), describe(d).c_str());
  return d;
}

TEST(Diagnosis, NamesNondeterminismWhenARerunPasses) {
  probe_subjects::LostStoreEveryOtherRun b;
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "causal", 50));
  const RunOutput out = run_ok(b, c);
  const Diagnosis d = diagnose_failing(b, c, out);
  EXPECT_EQ(d.bug_class, "nondeterminism") << describe(d);
  EXPECT_EQ(d.probes, (std::vector<std::string>{"rerun"}));
}

TEST(Diagnosis, NamesThreadDependenceWhenAnotherThreadCountChangesTheResult) {
  probe_subjects::LostStoreWithThreads b;
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "causal", 51));
  b.set_threads(4);
  const RunOutput out = run_ok(b, c);
  const Diagnosis d = diagnose_failing(b, c, out);
  EXPECT_EQ(d.bug_class, "thread-dependence") << describe(d);
  EXPECT_EQ(d.subject_runs, 3) << "a rerun, then one run per thread count";
}

// max-lane0 on moderate scores is only a different stabiliser, until V is large: the
// weights exp(s - s[lane 0]) (up to e^14 with scores of spread ~4 per key) far exceed 1
// and p * V overflows fp32, where the correct kernel and the fp32 contract reference
// (weights <= 1, |V| <= 2^120, 64 keys) and the exact O stay finite. Scaled down, the
// same V passes.
TEST(Diagnosis, NamesOverflowWhenScaledDownVPasses) {
  CaseRecipe r = recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 52);
  r.v_type = DType::f32;
  r.scale = 0.5f;
  AttentionCase c = generate(r);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t j = 0; j < 64; ++j)
      for (int64_t d = 0; d < 64; ++d) c.v.set(0, h, j, d, std::ldexp(c.v.get(0, h, j, d), 118));
  auto correct = builtin_registry().make("model-esimd-splitkv");
  const Verdict good = judge(c, oracle_of(c), run_ok(*correct, c));
  EXPECT_TRUE(good.pass) << good.summary();
  auto b = builtin_registry().make("model-esimd-splitkv@max-lane0");
  const RunOutput out = run_ok(*b, c);
  DiagnosisOptions o;
  o.masked_kv_may_be_read = true;
  const Diagnosis d = diagnose_failing(*b, c, out, o);
  EXPECT_EQ(d.bug_class, "overflow") << describe(d);
  EXPECT_EQ(d.probes.back(), "overflow");
}

TEST(Diagnosis, NamesMaskedKeyLeakWhenTheMaskIsNotApplied) {
  probe_subjects::IgnoresMask b;
  const AttentionCase c = generate(recipe({1, 2, 2, 8, 40, 64, 64}, "normal", "tile_edges", 53));
  const Diagnosis d = diagnose_failing(b, c, run_ok(b, c));
  EXPECT_EQ(d.bug_class, "masked-key-leak") << describe(d);
}

TEST(Diagnosis, RerunsTheSubjectWithoutTheFailingOutput) {
  auto b = builtin_registry().make("cpu-scalar@gqa-head-modulo");
  const AttentionCase c = generate(recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 102));
  const OracleResult oracle = oracle_of(c);
  const Verdict v = judge(c, oracle, run_ok(*b, c));
  const Diagnosis d = diagnose(*b, c, oracle, v);
  EXPECT_EQ(d.bug_class, "wrong-result") << describe(d);
  EXPECT_EQ(d.probes.front(), "rerun");
  EXPECT_EQ(d.probes.back(), "conclusion");
  EXPECT_GE(d.evidence.size(), d.probes.size()) << "every probe leaves a line";
  EXPECT_GT(d.subject_runs, 1);
  EXPECT_NE(describe(d).find("bug class: wrong-result\n  rerun: "), std::string::npos) << describe(d);
}

TEST(Diagnosis, JudgesVariantsWithTheGivenVerdict) {
  auto b = builtin_registry().make("cpu-scalar@gqa-head-modulo");
  const AttentionCase c = generate(recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 102));
  const RunOutput out = run_ok(*b, c);
  int calls = 0;
  DiagnosisOptions o;
  // A verdict that passes everything makes the first variant the subject runs (V scaled
  // down) look like the cure.
  o.judge_with = [&calls](const AttentionCase&, const OracleResult&, const RunOutput&) {
    ++calls;
    return Verdict{};
  };
  const Diagnosis d = diagnose_failing(*b, c, out, o);
  EXPECT_EQ(d.bug_class, "overflow") << describe(d);
  EXPECT_GT(calls, 0);
}

}  // namespace
}  // namespace flashcheck
