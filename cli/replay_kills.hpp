#pragma once
// Expected kills of corpus cases: which of a case's kills `flashcheck replay` checks on
// this machine, and whether the kill backend's outcome confirms one. A kill is confirmed
// when the backend fails the case and, when the kill names a bug class, that class is
// among the classes its failure was given (the diagnosis, or a broken absolute rule).
#include <string>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "core/backend.hpp"
#include "core/case_codec.hpp"

namespace flashcheck::cli {

// Whether a kill is checked here, and why not.
struct KillDecision {
  enum class Action {
    check,         // build backend_spec and run it on the case
    not_selected,  // --backend named other subjects only
    not_built,     // the subject is not registered in this build of flashcheck
  };
  Action action = Action::check;
  std::string reason;  // for the skipped ones
};

// selected_subjects: the subjects of the --backend specs; explicit_selection false when
// no --backend was given (every kill is then checked).
KillDecision decide_kill(const ExpectedKill& kill, const std::vector<std::string>& registered_subjects,
                         const std::vector<std::string>& selected_subjects, bool explicit_selection);

// The bug classes a failing outcome was given: the diagnosis's, then each broken rule's.
std::vector<std::string> failure_classes(const CaseOutcome& outcome);

struct KillJudgement {
  bool confirmed = false;
  std::string detail;  // what the backend did: "failed [drift]", "passed", "failed [overflow], expected drift"...
};

KillJudgement judge_kill(const ExpectedKill& kill, const CaseOutcome& outcome);

}  // namespace flashcheck::cli
