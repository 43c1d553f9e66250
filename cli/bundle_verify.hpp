#pragma once
// `flashcheck verify`'s work: every case of a bundle against every runner's recorded
// outputs, graded by the same code as check and replay (cli/check_plan.hpp check_case:
// verdict under the runner's contract, diagnosis of failures from the recorded output)
// and reported as replay results (cli/replay_report.hpp). The absolute rules are not
// checked: they rerun the subject, and the device is not here.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cli/replay_engine.hpp"

namespace flashcheck::cli {

struct VerifyOptions {
  std::vector<std::string> runners;  // empty: every runner under results/
  std::vector<std::string> case_ids; // empty: every case of the manifest
  int oracle_threads = 0;
  int diagnose_limit = std::numeric_limits<int>::max();
};

struct VerifyRun {
  ReplayRun run;
  std::vector<std::string> subjects;  // "subject (results/<runner>, contract, device)" per runner graded
};

// Throws UsageError when the bundle has no manifest, names a runner or case it lacks,
// or has no runner results at all; std::invalid_argument / std::runtime_error for a
// manifest that cannot be read. A runner's broken results.json, a missing or malformed
// output file, a case.fcase that does not decode: error results naming the file.
VerifyRun verify_bundle(const std::string& bundle_dir, const VerifyOptions& options,
                        const std::function<void(const ReplayResult&)>& on_result = {});

}  // namespace flashcheck::cli
