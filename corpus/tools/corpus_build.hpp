#pragma once
// Building a group's corpus cases: the cheapest start case that kills every runnable
// pair of the group (and leaves its must-pass backends clean) is minimized; pairs no
// start kills together get cases of their own.
#include <optional>
#include <string>
#include <vector>

#include "core/case_codec.hpp"
#include "corpus/tools/kill_grading.hpp"
#include "corpus/tools/mutant_groups.hpp"

namespace flashcheck::corpus {

struct BuiltCase {
  std::string file;  // "<mutant>.fcase", or "<mutant>--<subject>.fcase" when the group needs several
  CaseRecord record;
  CaseGrade grade;   // of the minimized case
  std::string origin;
  CaseShape shape_before;
  int tried = 0, accepted = 0;
};

struct GroupBuild {
  std::vector<BuiltCase> cases;
  std::vector<std::string> unkilled;  // runnable pairs no start case kills with the class
  double seconds = 0;
};

// previous: the group's file as it was ("<mutant>.fcase"), when there was one. When it
// lists kills of pairs this machine cannot run (verified where they run, a GPU say) and
// its recipe still kills every runnable pair here, it is kept as it is: minimizing here
// could not re-verify those pairs on a smaller case.
GroupBuild build_group_cases(const MutantGroup& group, const std::optional<CaseRecord>& previous = std::nullopt);

}  // namespace flashcheck::corpus
