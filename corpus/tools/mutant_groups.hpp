#pragma once
// The seeded bugs of builtin_registry() gathered by mutant name: one group per mutant,
// holding every subject built with it. A corpus case is chosen per group, and graded
// against the group's correct subjects, which must stay clean on it.
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck::corpus {

// One backend of a group, built once and reused for every case graded on it.
struct GroupMember {
  std::string subject;
  std::string spec;               // "subject@mutant", or "subject" for a correct one
  std::unique_ptr<Backend> backend;  // null when this machine cannot run it
  std::string unavailable;        // why not, when backend is null
  // Set for a pair whose class no case can show under replay's grading (see
  // known_without_case); the audit reports it instead of failing on it.
  std::string no_case_reason;
};

struct MutantGroup {
  std::string mutant;
  std::string seed;       // the seed document (MutantInfo::seed)
  std::string bug_class;  // the diagnosis each kill must carry
  std::vector<GroupMember> pairs;      // subject@mutant that must fail with bug_class
  // Must pass (or decline) every case of the group: the correct build of every subject
  // in the group, and pairs that are correct by design on their build.
  std::vector<GroupMember> must_pass;

  std::vector<const GroupMember*> runnable_pairs() const;
};

// Every mutant of the registry, in registry order of first appearance. only: one
// mutant name, or empty for all.
std::vector<MutantGroup> gather_mutant_groups(const std::string& only = "");

// Pairs that are correct by design on their build (docs/mutants.md, notes): they join
// the group's must-pass side instead of its kills.
bool correct_by_design(const std::string& subject, const std::string& mutant);

// Why no corpus case can kill the pair with its class, for the few pairs where that is
// so by construction; empty otherwise.
std::string known_without_case(const std::string& subject, const std::string& mutant);

}  // namespace flashcheck::corpus
