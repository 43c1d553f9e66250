// The kill table: `flashcheck check --quick` (the same plan code, cli/check_plan.hpp) on
// every subject of builtin_registry() and every seeded bug it can be built with. A mutant
// must fail at least one case, and one of its failures must be diagnosed with the class
// docs/mutants.md gives it; a correct subject must fail none. Each test prints one table
// row: subject@mutant | seed | expected class | caught by N cases | diagnoses.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <filesystem>

#include <fmt/format.h>

#include "cli/check_matrix.hpp"
#include "cli/check_plan.hpp"
#include "cli/report_json.hpp"
#include "cli/report_text.hpp"
#include "core/case_json.hpp"
#include "impls/builtin_backends.hpp"

namespace flashcheck::cli {
namespace {

struct Target {
  std::string subject;
  MutantInfo mutant;  // name empty for the correct subject
  std::string spec() const { return backend_spec(subject, mutant.name); }
};
void PrintTo(const Target& t, std::ostream* os) { *os << t.spec(); }

std::vector<Target> targets(bool mutants) {
  std::vector<Target> out;
  for (const std::string& subject : builtin_registry().names()) {
    if (!mutants) {
      out.push_back({subject, {}});
      continue;
    }
    for (const MutantInfo& m : builtin_registry().make(subject)->mutants()) out.push_back({subject, m});
  }
  return out;
}

std::string test_name(const ::testing::TestParamInfo<Target>& info) {
  std::string s = info.param.subject + (info.param.mutant.name.empty() ? "" : "_at_" + info.param.mutant.name);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

// One process may run many tests: they share the quick plan's cases and oracles.
CaseCache& shared_cases() {
  static CaseCache cache;
  return cache;
}

struct PlanRun {
  std::vector<CaseOutcome> failures;
  double seconds = 0;
};

// The quick plan as `flashcheck check --quick --diagnose 1000000 --artifacts ''` runs it:
// every failure diagnosed (the default limit of 3 per backend may stop before the case
// that shows the class; probes are cheap on these small cases), no case files saved.
PlanRun run_quick_plan(Backend& backend) {
  PlanOptions options;
  options.diagnose_limit = 1000000;
  options.artifacts_dir.clear();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<CaseOutcome> outcomes = run_plan({&backend}, quick_matrix(kDefaultMatrixSeed), shared_cases(), options);
  PlanRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (CaseOutcome& o : outcomes)
    if (o.is_failure()) run.failures.push_back(std::move(o));
  return run;
}

std::string class_of(const CaseOutcome& o) { return o.diagnosis ? o.diagnosis->bug_class : "not diagnosed"; }

std::string diagnoses_of(const std::vector<CaseOutcome>& failures) {
  std::vector<std::string> parts;
  for (const CaseOutcome& o : failures) parts.push_back(fmt::format("{} (seed {}): {}", o.family, o.recipe.seed, class_of(o)));
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, "; "));
}

void print_row(const Target& t, const std::string& expected, const PlanRun& run) {
  std::printf("| %s | %s | %s | caught by %zu cases | %s | %.1f s |\n", t.spec().c_str(),
              t.mutant.seed.empty() ? "-" : t.mutant.seed.c_str(), expected.c_str(), run.failures.size(),
              diagnoses_of(run.failures).c_str(), run.seconds);
  std::fflush(stdout);
}

std::unique_ptr<Backend> make_available(const Target& t, std::string* why_not) {
  std::unique_ptr<Backend> b = builtin_registry().make(t.spec());
  if (!b || !b->available(why_not)) return nullptr;
  return b;
}

// Mutants that are correct by design on one build (docs/mutants.md, notes): there they
// must pass like the correct subject, so the table notices when that changes.
bool harmless_by_design(const Target& t) {
  // neg-inf-init breaks only where the compiler drops infinity handling; the default
  // OpenCL build keeps IEEE semantics.
  return t.subject == "opencl" && t.mutant.name == "neg-inf-init";
}

class Mutant : public ::testing::TestWithParam<Target> {};

TEST_P(Mutant, caught) {
  const Target& t = GetParam();
  std::string why;
  std::unique_ptr<Backend> backend = make_available(t, &why);
  if (!backend) GTEST_SKIP() << t.spec() << " is not available here: " << why;
  const PlanRun run = run_quick_plan(*backend);
  if (harmless_by_design(t)) {
    print_row(t, "none (IEEE build)", run);
    EXPECT_TRUE(run.failures.empty()) << t.spec() << " is correct by design under IEEE, yet fails: "
                                      << diagnoses_of(run.failures);
    return;
  }
  print_row(t, t.mutant.bug_class, run);
  ASSERT_FALSE(run.failures.empty()) << t.spec() << " passes every case of the quick plan";
  const bool diagnosed = std::any_of(run.failures.begin(), run.failures.end(), [&](const CaseOutcome& o) {
    return o.diagnosis && o.diagnosis->bug_class == t.mutant.bug_class;
  });
  if (diagnosed) return;
  std::string detail;
  for (const CaseOutcome& o : run.failures)
    detail += fmt::format("\n{} (seed {}): {}", o.family, o.recipe.seed,
                          o.diagnosis ? describe(*o.diagnosis) : "not diagnosed (limit reached): " + o.message);
  ADD_FAILURE() << t.spec() << ": no failure diagnosed as " << t.mutant.bug_class << ":" << detail;
}

class Subject : public ::testing::TestWithParam<Target> {};

TEST_P(Subject, clean) {
  const Target& t = GetParam();
  std::string why;
  std::unique_ptr<Backend> backend = make_available(t, &why);
  if (!backend) GTEST_SKIP() << t.spec() << " is not available here: " << why;
  const PlanRun run = run_quick_plan(*backend);
  print_row(t, "none", run);
  for (const CaseOutcome& o : run.failures)
    ADD_FAILURE() << t.spec() << " fails " << o.family << " (seed " << o.recipe.seed << "): " << o.message
                  << (o.verdict ? "\n" + o.verdict->summary() : "")
                  << (o.diagnosis ? "\n" + describe(*o.diagnosis) : "");
}

// The plan's own behaviour on one failing entry flagged for the rules: the broken
// masked-key rule fails the case and names its class, the case file replays the case,
// and both reports carry the diagnosis, the rules and the replay of the file.
TEST(CheckPlan, FailingEntryGetsRulesDiagnosisAndCaseFile) {
  const std::vector<MatrixEntry> plan = quick_matrix(kDefaultMatrixSeed);
  const auto entry = std::find_if(plan.begin(), plan.end(), [](const MatrixEntry& e) {
    return e.rules && e.recipe.mask == "window";
  });
  ASSERT_NE(entry, plan.end());
  std::unique_ptr<Backend> backend = builtin_registry().make("cpu-scalar@causal-offset");
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "flashcheck-kill-table-artifacts";
  std::filesystem::remove_all(dir);
  PlanOptions options;
  options.artifacts_dir = dir.string();
  BackendPlanState state{options.diagnose_limit};
  const CaseOutcome o = check_entry(*backend, *entry, shared_cases().prepare(*entry), state, options);

  ASSERT_EQ(o.status, CaseOutcome::Status::fail);
  ASSERT_EQ(o.rules.size(), 3u);
  EXPECT_EQ(o.rules[0].rule, kRuleMaskedKeys);
  EXPECT_FALSE(o.rules[0].holds) << describe(o.rules[0]);
  ASSERT_TRUE(o.diagnosis.has_value());
  EXPECT_EQ(o.diagnosis->bug_class, "masked-key-leak");
  EXPECT_EQ(state.diagnoses_left, options.diagnose_limit) << "a broken rule needs no diagnose() run";
  ASSERT_FALSE(o.artifact.empty());
  EXPECT_EQ(load_case_file(o.artifact).seed, entry->recipe.seed);

  const std::string text = format_failure(o);
  EXPECT_NE(text.find("diagnosis: bug class: masked-key-leak"), std::string::npos) << text;
  EXPECT_NE(text.find("replay case: flashcheck run --backend cpu-scalar@causal-offset --case "), std::string::npos)
      << text;
  EXPECT_NE(format_outcome_table({o}).find("FAIL [masked-key-leak]"), std::string::npos);
  const nlohmann::json j = outcome_to_json(o);
  EXPECT_EQ(j["diagnosis"]["bug_class"], "masked-key-leak");
  EXPECT_EQ(j["rules"].size(), 3u);
  EXPECT_EQ(j["artifact"], o.artifact);
  std::filesystem::remove_all(dir);
}

TEST(CheckPlan, DiagnoseLimitZeroDiagnosesNothingAndEmptyDirSavesNothing) {
  const std::vector<MatrixEntry> plan = quick_matrix(kDefaultMatrixSeed);
  std::unique_ptr<Backend> backend = builtin_registry().make("cpu-scalar@gqa-head-modulo");
  PlanOptions options;
  options.diagnose_limit = 0;
  options.artifacts_dir.clear();
  const std::vector<CaseOutcome> outcomes = run_plan({backend.get()}, plan, shared_cases(), options);
  ASSERT_EQ(outcomes.size(), plan.size());
  int failures = 0;
  for (const CaseOutcome& o : outcomes) {
    failures += o.is_failure() ? 1 : 0;
    EXPECT_FALSE(o.diagnosis.has_value()) << o.family;
    EXPECT_TRUE(o.artifact.empty()) << o.family;
  }
  EXPECT_GT(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(KillTable, Mutant, ::testing::ValuesIn(targets(true)), test_name);
INSTANTIATE_TEST_SUITE_P(KillTable, Subject, ::testing::ValuesIn(targets(false)), test_name);

}  // namespace
}  // namespace flashcheck::cli
