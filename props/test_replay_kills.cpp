// Expected kills of corpus cases (cli/replay_kills.hpp): which kills replay checks where,
// and when a kill backend's outcome confirms one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/replay_kills.hpp"
#include "verdict/absolute_rules.hpp"

namespace flashcheck::cli {
namespace {

const std::vector<std::string> kRegistered{"cpu-textbook", "cpu-scalar", "opencl"};

CaseOutcome outcome(CaseOutcome::Status status, const std::string& diagnosed = "") {
  CaseOutcome o;
  o.backend = "cpu-scalar@vkq16";
  o.status = status;
  if (!diagnosed.empty()) {
    Diagnosis d;
    d.bug_class = diagnosed;
    o.diagnosis = d;
  }
  return o;
}

RuleResult broken(const char* rule) {
  RuleResult r;
  r.rule = rule;
  r.holds = false;
  return r;
}

TEST(ReplayKills, every_kill_is_checked_without_a_selection) {
  const KillDecision d = decide_kill({"cpu-scalar@vkq16", "drift"}, kRegistered, {}, false);
  EXPECT_EQ(d.action, KillDecision::Action::check);
}

TEST(ReplayKills, a_selection_checks_the_kills_of_its_subjects_only) {
  const std::vector<std::string> selected{"cpu-scalar", "cpu-textbook"};
  EXPECT_EQ(decide_kill({"cpu-scalar@vkq16", ""}, kRegistered, selected, true).action, KillDecision::Action::check);
  const KillDecision other = decide_kill({"opencl@neg-inf-init", ""}, kRegistered, selected, true);
  EXPECT_EQ(other.action, KillDecision::Action::not_selected);
  EXPECT_NE(other.reason.find("'opencl'"), std::string::npos) << other.reason;
}

TEST(ReplayKills, a_subject_missing_from_the_build_is_skipped_by_name) {
  const KillDecision d = decide_kill({"cuda-fp32@vkq16", "drift"}, kRegistered, {}, false);
  EXPECT_EQ(d.action, KillDecision::Action::not_built);
  EXPECT_NE(d.reason.find("'cuda-fp32'"), std::string::npos) << d.reason;
}

TEST(ReplayKills, failure_classes_are_the_diagnosis_then_broken_rules) {
  CaseOutcome o = outcome(CaseOutcome::Status::fail, "masked-key-leak");
  o.rules.push_back(broken(kRuleMaskedKeys));  // the same class again: listed once
  o.rules.push_back(broken(kRuleRerun));
  RuleResult holding;
  holding.rule = kRuleThreads;
  o.rules.push_back(holding);
  EXPECT_EQ(failure_classes(o), (std::vector<std::string>{"masked-key-leak", "nondeterminism"}));
  EXPECT_TRUE(failure_classes(outcome(CaseOutcome::Status::fail)).empty());
}

TEST(ReplayKills, a_pass_or_an_unsupported_case_is_no_kill) {
  EXPECT_FALSE(judge_kill({"cpu-scalar@vkq16", ""}, outcome(CaseOutcome::Status::pass)).confirmed);
  CaseOutcome unsupported = outcome(CaseOutcome::Status::unsupported);
  unsupported.message = "no f64";
  const KillJudgement j = judge_kill({"cpu-scalar@vkq16", ""}, unsupported);
  EXPECT_FALSE(j.confirmed);
  EXPECT_NE(j.detail.find("no f64"), std::string::npos) << j.detail;
}

TEST(ReplayKills, any_failure_confirms_a_kill_without_a_class) {
  EXPECT_TRUE(judge_kill({"cpu-scalar@vkq16", ""}, outcome(CaseOutcome::Status::fail)).confirmed);
  EXPECT_TRUE(judge_kill({"cpu-scalar@vkq16", ""}, outcome(CaseOutcome::Status::fail, "overflow")).confirmed);
  EXPECT_TRUE(judge_kill({"cpu-scalar@vkq16", ""}, outcome(CaseOutcome::Status::error)).confirmed);
}

TEST(ReplayKills, a_kill_with_a_class_needs_that_diagnosis) {
  EXPECT_TRUE(judge_kill({"cpu-scalar@vkq16", "drift"}, outcome(CaseOutcome::Status::fail, "drift")).confirmed);
  const KillJudgement wrong = judge_kill({"cpu-scalar@vkq16", "drift"}, outcome(CaseOutcome::Status::fail, "overflow"));
  EXPECT_FALSE(wrong.confirmed);
  EXPECT_NE(wrong.detail.find("[overflow], expected drift"), std::string::npos) << wrong.detail;
  EXPECT_FALSE(judge_kill({"cpu-scalar@vkq16", "drift"}, outcome(CaseOutcome::Status::fail)).confirmed);
  EXPECT_FALSE(judge_kill({"cpu-scalar@vkq16", "drift"}, outcome(CaseOutcome::Status::error)).confirmed);
}

TEST(ReplayKills, a_broken_rule_names_a_class_too) {
  CaseOutcome o = outcome(CaseOutcome::Status::fail, "wrong-result");
  o.rules.push_back(broken(kRuleThreads));
  EXPECT_TRUE(judge_kill({"cpu-scalar@vkq16", "thread-dependence"}, o).confirmed);
  EXPECT_TRUE(judge_kill({"cpu-scalar@vkq16", "wrong-result"}, o).confirmed);
}

}  // namespace
}  // namespace flashcheck::cli
