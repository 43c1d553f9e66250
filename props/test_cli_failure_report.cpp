// What a kernel author sees when a subject is wrong: the outcome fails, the report
// names the rule, prints the worst element in decimal and hex, and gives the command
// that replays the case. Driven by a subject that spoils cpu-textbook's output.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "cli/case_evaluation.hpp"
#include "cli/report_text.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"

namespace flashcheck::cli {
namespace {

// Wraps a correct backend and scales one output element by (1 + rel).
class SpoiledBackend final : public Backend {
 public:
  explicit SpoiledBackend(double rel) : inner_(make_cpu_textbook_backend(1)), rel_(rel) {}
  std::string name() const override { return "spoiled-textbook"; }
  std::string description() const override { return "cpu-textbook with one output element scaled"; }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  RunResult run(const AttentionCase& c) override {
    RunResult r = inner_->run(c);
    const int64_t i = c.shape.lq - 1, col = c.shape.dv / 2;
    r.output.o.set(0, 0, i, col, r.output.o.get(0, 0, i, col) * (1.0 + rel_));
    return r;
  }

 private:
  std::unique_ptr<Backend> inner_;
  double rel_;
};

CaseOutcome outcome_for(Backend& b, const CaseRecipe& recipe) {
  const AttentionCase c = generate(recipe);
  LazyOracle oracle(c, oracle_options_for(c, 1));
  return evaluate_case(b, "prefill/normal/causal", recipe, c, oracle);
}

CaseRecipe recipe() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 8, .lk = 64, .dk = 32, .dv = 32};
  r.mask = "causal";
  r.seed = 42;
  return r;
}

TEST(CliFailureReport, CorrectSubjectPasses) {
  const auto textbook = make_cpu_textbook_backend(1);
  const CaseOutcome out = outcome_for(*textbook, recipe());
  EXPECT_EQ(out.status, CaseOutcome::Status::pass) << format_case_details(out);
}

TEST(CliFailureReport, SpoiledElementFailsWithHexValuesAndAReplayCommand) {
  SpoiledBackend spoiled(1e-3);
  const CaseOutcome out = outcome_for(spoiled, recipe());
  ASSERT_EQ(out.status, CaseOutcome::Status::fail);
  ASSERT_TRUE(out.verdict.has_value());
  EXPECT_GT(out.verdict->worst_budget_ratio, 1.0);
  const std::string report = format_failure(out);
  EXPECT_NE(report.find("O[b=0 h=0 i=7 col=16]"), std::string::npos) << report;  // the spoiled element
  EXPECT_NE(report.find("0x1."), std::string::npos) << report;                   // hex forms of the values
  EXPECT_NE(report.find("flashcheck run --backend spoiled-textbook"), std::string::npos) << report;
  EXPECT_NE(report.find("--seed 42"), std::string::npos) << report;
}

TEST(CliFailureReport, NaNOutputIsNamedAsTheNonFiniteRule) {
  SpoiledBackend spoiled(NAN);
  const CaseOutcome out = outcome_for(spoiled, recipe());
  ASSERT_EQ(out.status, CaseOutcome::Status::fail);
  ASSERT_FALSE(out.verdict->rule_failures.empty());
  EXPECT_NE(out.verdict->summary().find("non-finite value(s) where the oracle is finite"), std::string::npos)
      << out.verdict->summary();
}

}  // namespace
}  // namespace flashcheck::cli
