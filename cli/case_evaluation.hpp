#pragma once
// Grading one backend on one case: run the subject, get (or reuse) the oracle,
// judge. Every failure mode becomes an outcome, never an exception, so one bad
// case or subject cannot stop a check run.
#include <optional>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/absolute_rules.hpp"
#include "verdict/diagnosis.hpp"
#include "verdict/quantization_split.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck::cli {

// The oracle of one case, computed on first use and shared by every backend.
class LazyOracle {
 public:
  LazyOracle(const AttentionCase& c, OracleOptions opts) : case_(c), opts_(opts) {}
  // Throws std::runtime_error (every time) when the oracle failed.
  const OracleResult& get();
  // The oracle of without_quantization(case): K/V before quantization, Q unrotated.
  // Only for cases with quantized KV; throws std::runtime_error when it fails.
  const OracleResult& source();
  bool computed() const { return result_.has_value(); }
  double seconds() const { return seconds_; }
  const OracleStats* stats() const { return result_ ? &result_->stats : nullptr; }

 private:
  const AttentionCase& case_;
  OracleOptions opts_;
  std::optional<OracleResult> result_;
  std::optional<std::string> error_;
  std::optional<AttentionCase> source_case_;
  std::optional<OracleResult> source_result_;
  std::optional<std::string> source_error_;
  double seconds_ = 0;
};

struct CaseOutcome {
  enum class Status { pass, fail, unsupported, error };
  std::string backend;
  std::string family;
  CaseRecipe recipe;
  std::string contract;            // the contract the backend was graded under
  Status status = Status::error;
  std::string message;             // why unsupported, or the error
  // "crashed" or "timed_out" (RunResult::Fault): the subject's process died or hung; the
  // status is error and the message the verdict text, "crashed (signal 11, SIGSEGV)".
  std::string fault;
  std::optional<Verdict> verdict;  // present when the subject ran and was judged
  std::optional<QuantizationSplit> quantization;  // cases with quantized KV, when judged
  std::optional<OracleStats> oracle_stats;
  double backend_seconds = 0;
  double oracle_seconds = 0;  // time of the shared oracle run (0 when it was reused)
  std::vector<RuleResult> rules;       // absolute rules checked on the case (cli/check_plan.hpp)
  std::optional<Diagnosis> diagnosis;  // the bug class of a failure, where one was diagnosed
  std::string artifact;                // the saved failing case file, where one was saved

  bool is_failure() const { return status == Status::fail || status == Status::error; }
};

std::string status_name(CaseOutcome::Status s);

// Oracle work over the distinct cases of a run (each case counted once).
struct OracleTotals {
  int64_t cases = 0;
  OracleStats stats;
  double seconds = 0;
  void add(const OracleStats& s, double run_seconds);
};

OracleOptions oracle_options_for(const AttentionCase& c, int threads);

// kept_output, when given, receives the subject's output (for rules and diagnosis).
CaseOutcome evaluate_case(Backend& backend, const std::string& family, const CaseRecipe& recipe,
                          const AttentionCase& c, LazyOracle& oracle, RunOutput* kept_output = nullptr);

// A case that did not come from a recipe (a case file): the outcome's family is the
// case's own, and its recipe describes the case's shape, types and options (as far as
// a recipe can; the case file, not that recipe, is what replays it).
CaseOutcome evaluate_case(Backend& backend, const AttentionCase& c, LazyOracle& oracle,
                          RunOutput* kept_output = nullptr);

// The recipe fields a case records itself (shape, types, options, layout, quantized KV,
// seed), for reports. Distribution and mask pattern come from the generator's family
// name "<distribution>/<mask>" when it is one; the case, not this recipe, replays it.
CaseRecipe recipe_describing(const AttentionCase& c);

// An outcome for a case the generator could not build (a matrix or recipe error).
CaseOutcome generation_error(const std::string& backend, const std::string& family, const CaseRecipe& recipe,
                             const std::string& what);

}  // namespace flashcheck::cli
