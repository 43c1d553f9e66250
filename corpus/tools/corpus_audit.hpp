#pragma once
// Re-grading a directory of mutant corpus cases: every kill a file lists must still hold
// here (the mutant fails with the class, the group's correct subjects stay clean), and
// every mutant pair this machine can run must be listed by some file. The manifest
// (MANIFEST.md) is written from the same audit, so it says what was verified.
#include <string>
#include <vector>

#include "core/case_codec.hpp"
#include "corpus/tools/kill_grading.hpp"
#include "corpus/tools/mutant_groups.hpp"

namespace flashcheck::corpus {

struct KillAudit {
  ExpectedKill kill;
  bool verified = false;   // re-graded here and it holds
  bool runnable = true;    // false: this machine cannot run the backend (not a failure)
  std::string problem;     // why it does not hold, or why it was not run
  MemberGrade grade;
};

struct FileAudit {
  std::string file;  // name inside the directory
  std::string load_error;
  std::optional<CaseRecord> record;
  std::vector<KillAudit> kills;
  std::vector<MemberGrade> must_pass;  // the correct side of every group the file's kills name
  std::vector<std::string> problems;   // everything that makes the file fail the audit
};

struct CorpusAudit {
  std::vector<FileAudit> files;
  std::vector<std::string> uncovered;           // runnable pairs no file lists
  std::vector<std::string> not_runnable_here;   // "spec: why", pairs this machine cannot run
  std::vector<std::string> known_without_case;  // "spec: why", runnable pairs no case can kill with the class
  bool ok() const;
};

CorpusAudit audit_corpus(const std::string& dir, std::vector<MutantGroup>& groups);

// The MANIFEST.md text for the audit (deterministic: no timings).
std::string manifest_text(const CorpusAudit& audit, const std::vector<MutantGroup>& groups);

// One line per file and kill, and the coverage, for the terminal.
std::string audit_report(const CorpusAudit& audit);

// "1.23", "4.5e+04", "inf", "nan": an error/budget ratio as the tables print it.
std::string ratio_text(double r);

}  // namespace flashcheck::corpus
