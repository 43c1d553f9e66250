#pragma once
// Whether a case kills a group's mutants: graded with the code `flashcheck check` runs
// (cli/check_plan.hpp check_entry: verdict under the subject's contract, diagnosis of
// the failure), once as a plain case and once with the absolute rules, so the kill holds
// whichever way a replay grades it. A pair is killed when it fails with its group's bug
// class in both; the case is clean when every must-pass backend passes (or declines it).
#include <string>
#include <vector>

#include "core/attention_case.hpp"
#include "core/generator.hpp"
#include "corpus/tools/mutant_groups.hpp"

namespace flashcheck::corpus {

struct MemberGrade {
  std::string spec;
  std::string status;     // pass, fail, unsupported, error
  std::string bug_class;  // the diagnosis ("" when none); with rules, the broken rule's class
  std::string rules_bug_class;  // the class when graded with the absolute rules
  double ratio = 0;       // the verdict's worst error / budget (0 when not judged)
  std::string detail;     // the failure or the reason, one line
  bool killed = false;    // a pair: failed with the expected class in both gradings
  bool clean = false;     // a must-pass backend: passed or declined in both gradings
};

struct CaseGrade {
  std::vector<MemberGrade> pairs;      // in the order asked for
  std::vector<MemberGrade> must_pass;  // every runnable must-pass backend of the group
  bool generated = true;               // false: the case could not be built (detail in error)
  std::string error;
  bool kills_all() const;
  bool clean() const;
  double worst_clean_ratio() const;
};

struct GradeOptions {
  // Stop at the first pair not killed or the first must-pass failure (minimizing needs
  // only the yes/no answer; a report needs every row).
  bool stop_early = false;
};

// Grades the case on `pairs` (members of group) and on the group's must-pass backends.
CaseGrade grade_case(const AttentionCase& c, const CaseRecipe& recipe, const MutantGroup& group,
                     const std::vector<const GroupMember*>& pairs, const GradeOptions& options = {});

// The recipe's case, generated; a recipe the generator rejects gives generated = false.
CaseGrade grade_recipe(const CaseRecipe& recipe, const MutantGroup& group,
                       const std::vector<const GroupMember*>& pairs, const GradeOptions& options = {});

}  // namespace flashcheck::corpus
