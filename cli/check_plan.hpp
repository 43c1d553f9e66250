#pragma once
// What `flashcheck check` does with each backend on each matrix entry: grade the case
// under the backend's contract, check the absolute rules on the entries flagged for
// them, name the bug class of failures (up to a limit per backend) and save every
// failing case as a case file. The kill table (props/test_kill_table.cpp) runs the same
// code, so it grades exactly what the command grades.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "cli/check_matrix.hpp"
#include "core/backend.hpp"

namespace flashcheck::cli {

inline constexpr int kDefaultDiagnoseLimit = 3;
inline constexpr const char* kDefaultArtifactsDir = "flashcheck-artifacts";

struct PlanOptions {
  int oracle_threads = 0;                        // 0: all cores
  int diagnose_limit = kDefaultDiagnoseLimit;    // diagnose() runs per backend; 0: none
  std::string artifacts_dir = kDefaultArtifactsDir;  // empty: failing cases are not saved
};

// A matrix entry's generated case and its oracle, computed on first use. Shared by every
// backend of a run, and by several runs that hold the same CaseCache.
struct PreparedCase {
  std::optional<AttentionCase> c;  // absent when generation failed
  std::string generation_error;
  std::unique_ptr<LazyOracle> oracle;
  bool oracle_counted = false;  // already added to a run's OracleTotals
};

// Prepared cases keyed by (family, seed). keep_cases false: run_plan drops each case
// once every backend had it (a single run over big cases need not hold them all).
class CaseCache {
 public:
  explicit CaseCache(int oracle_threads = 0, bool keep_cases = true)
      : oracle_threads_(oracle_threads), keep_cases_(keep_cases) {}
  PreparedCase& prepare(const MatrixEntry& entry);
  void done_with(const MatrixEntry& entry);

 private:
  int oracle_threads_;
  bool keep_cases_;
  std::map<std::pair<std::string, uint64_t>, std::unique_ptr<PreparedCase>> cases_;
};

// A backend's state across a plan: how many diagnose() runs it has left.
struct BackendPlanState {
  int diagnoses_left = kDefaultDiagnoseLimit;
};

// The bug class a broken absolute rule names by itself, or "" for an unknown rule.
std::string bug_class_of_rule(const std::string& rule);

// Grades one backend on one entry: verdict, rules, diagnosis, artifact (see above).
CaseOutcome check_entry(Backend& backend, const MatrixEntry& entry, PreparedCase& prepared,
                        BackendPlanState& state, const PlanOptions& options);

// The same grading for a case that is already built, e.g. one loaded from a case file
// (`flashcheck replay`): the outcome's family and recipe describe the case itself, and
// rules says whether the absolute rules are checked on it.
CaseOutcome check_case(Backend& backend, const AttentionCase& c, LazyOracle& oracle, bool rules,
                       BackendPlanState& state, const PlanOptions& options);

// Every entry on every backend, entry by entry (one oracle run per case). on_case is called
// before each entry, on_outcome after each evaluation. Outcomes in evaluation order.
struct PlanCallbacks {
  std::function<void(size_t index, const MatrixEntry&)> on_case;
  std::function<void(size_t index, const CaseOutcome&)> on_outcome;
};
std::vector<CaseOutcome> run_plan(const std::vector<Backend*>& backends, const std::vector<MatrixEntry>& plan,
                                  CaseCache& cache, const PlanOptions& options, OracleTotals* totals = nullptr,
                                  const PlanCallbacks& callbacks = {});

}  // namespace flashcheck::cli
