#pragma once
// `flashcheck replay`'s work: every case file on every selected backend, one oracle run
// per case (cli/check_plan.hpp check_case: verdict, absolute rules, diagnosis, saved
// failing case), plus the case's expected kills (cli/replay_kills.hpp).
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "cli/replay_inputs.hpp"
#include "core/backend.hpp"
#include "core/case_codec.hpp"

namespace flashcheck::cli {

struct ReplayOptions {
  int oracle_threads = 0;     // 0: all cores
  bool rules = true;          // check the absolute rules on every case (they rerun the subject)
  bool kills = true;          // check the expected kills the cases list (else each is reported skipped)
  std::string artifacts_dir;  // save failing cases (not expected kills) as case files here; empty: no
  int diagnose_limit = std::numeric_limits<int>::max();  // per backend
};

// One line of the report: a case file on a backend, a kill of a case, or a file that is
// not a valid case.
struct ReplayResult {
  enum class Status {
    pass,          // a selected backend passed the case
    fail,          // ... failed it
    unsupported,   // ... does not take it (outside its contract or capabilities)
    error,         // ... broke down (or the oracle did); or a kill could not be checked
    killed,        // an expected kill was confirmed
    not_killed,    // an expected kill was not
    kill_skipped,  // an expected kill not checked here (subject not selected, not built, unavailable)
    bad_file,      // the case file cannot be read, decoded or built
  };
  Status status = Status::error;
  std::string file;
  std::string case_name;                  // the record's notes.name (may be empty)
  std::string backend;                    // the spec; empty for bad_file
  std::string detail;                     // one-line reason: failure classes, why skipped, the error
  std::optional<ExpectedKill> kill;       // for killed / not_killed / kill_skipped
  std::optional<CaseOutcome> outcome;     // when a backend ran
  std::string replay;                     // flashcheck run --backend <spec> --case <file>

  // What makes replay exit 1.
  bool is_problem() const {
    return status == Status::fail || status == Status::error || status == Status::not_killed ||
           status == Status::bad_file;
  }
};

// "PASS", "NOT killed"... as the report shows it; status_key: "pass", "not_killed"... for JSON.
// Newlines of a multi-line message folded into one report line.
std::string one_line(std::string s);
// Why an outcome is what it is, in one line (metrics are the report's business).
std::string outcome_detail(const CaseOutcome& o);
// The report status of a verdict engine outcome.
ReplayResult::Status replay_status_of(const CaseOutcome& o);

std::string status_label(ReplayResult::Status s);
std::string status_key(ReplayResult::Status s);

struct ReplayRun {
  std::vector<ReplayResult> results;  // in replay order: file by file, selected backends then kills
  size_t cases = 0;                   // case files that loaded
  OracleTotals oracle;
};

// backends: the selection (correct subjects, or what --backend named); explicit_selection:
// whether --backend was given. Kill backends are built from registry as needed.
// on_result is called as each result is known (to print progressively).
ReplayRun replay_cases(const std::vector<std::string>& case_files, const std::vector<Backend*>& backends,
                       bool explicit_selection, const Registry& registry, const ReplayOptions& options,
                       const std::function<void(const ReplayResult&)>& on_result = {});

}  // namespace flashcheck::cli
