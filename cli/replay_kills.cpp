#include "cli/replay_kills.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/check_plan.hpp"

namespace flashcheck::cli {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string classes_text(const std::vector<std::string>& classes) {
  return classes.empty() ? "not diagnosed" : fmt::format("{}", fmt::join(classes, ", "));
}

}  // namespace

KillDecision decide_kill(const ExpectedKill& kill, const std::vector<std::string>& registered_subjects,
                         const std::vector<std::string>& selected_subjects, bool explicit_selection) {
  const std::string subject = split_backend_spec(kill.backend).first;
  if (!contains(registered_subjects, subject))
    return {KillDecision::Action::not_built,
            fmt::format("subject '{}' is not registered in this build of flashcheck", subject)};
  if (explicit_selection && !contains(selected_subjects, subject))
    return {KillDecision::Action::not_selected, fmt::format("subject '{}' is not among the --backend choices", subject)};
  return {KillDecision::Action::check, ""};
}

std::vector<std::string> failure_classes(const CaseOutcome& outcome) {
  std::vector<std::string> classes;
  auto add = [&](const std::string& c) {
    if (!c.empty() && !contains(classes, c)) classes.push_back(c);
  };
  if (outcome.diagnosis) add(outcome.diagnosis->bug_class);
  for (const RuleResult& r : outcome.rules)
    if (!r.holds) add(bug_class_of_rule(r.rule));
  return classes;
}

KillJudgement judge_kill(const ExpectedKill& kill, const CaseOutcome& outcome) {
  using Status = CaseOutcome::Status;
  switch (outcome.status) {
    case Status::pass: return {false, "passed"};
    case Status::unsupported: return {false, "does not take the case (unsupported: " + outcome.message + ")"};
    case Status::error:  // the backend broke down: a failure, but one no diagnosis names
      if (kill.bug_class.empty()) return {true, "errored: " + outcome.message};
      return {false, fmt::format("errored ({}), expected a failure diagnosed {}", outcome.message, kill.bug_class)};
    case Status::fail: break;
  }
  const std::vector<std::string> classes = failure_classes(outcome);
  if (kill.bug_class.empty()) return {true, fmt::format("failed [{}]", classes_text(classes))};
  if (contains(classes, kill.bug_class)) return {true, fmt::format("failed [{}]", classes_text(classes))};
  return {false, fmt::format("failed [{}], expected {}", classes_text(classes), kill.bug_class)};
}

}  // namespace flashcheck::cli
