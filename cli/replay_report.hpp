#pragma once
// Reports of `flashcheck replay`: a line per case file and backend as it finishes, the
// summary, JUnit XML (cli/junit_report.hpp) and JSON.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/junit_report.hpp"
#include "cli/replay_engine.hpp"
#include "cli/replay_inputs.hpp"

namespace flashcheck::cli {

// What a replay saw, beside its results: what it skipped and what it ran on.
struct ReplayContext {
  std::vector<std::string> backends;          // the selection
  std::vector<std::string> skipped_backends;  // "name: why" (unavailable here)
  std::vector<SkippedFile> skipped_files;     // not case files
  bool strict = false;                        // skipped files count as problems
  std::string command = "replay";             // whose summary: "replay" or "verify"
};

// "PASS  cpu-textbook  file  max err 0.5 ulp, budget use 0.03", plus indented lines for
// problems: the worst element (decimal and %a), the diagnosis, the replay command.
std::string format_result(const ReplayResult& r);

// Counts per status, kills, skipped files and backends, and the final RESULT line.
std::string format_replay_summary(const ReplayRun& run, const ReplayContext& context);

// Whether the replay passes: no failure, error, missed kill or bad file (nor, under
// strict, skipped file), and at least one case file replayed.
bool replay_passed(const ReplayRun& run, const ReplayContext& context);

// One suite per backend (kills under the kill backend's suite), and one "case files"
// suite for files that are not valid cases or were skipped.
std::vector<JUnitSuite> replay_junit_suites(const ReplayRun& run, const ReplayContext& context);

nlohmann::json replay_to_json(const ReplayRun& run, const ReplayContext& context);

}  // namespace flashcheck::cli
