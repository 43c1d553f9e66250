// `flashcheck check`: the default case matrix on every selected backend, one
// oracle run per case (cli/check_plan.hpp: verdicts, absolute rules, diagnosis of
// failures, saved failing cases), a table of verdicts and replay commands for failures.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/backend_selection.hpp"
#include "cli/case_evaluation.hpp"
#include "cli/check_matrix.hpp"
#include "cli/check_plan.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/extra_backends.hpp"
#include "cli/report_json.hpp"
#include "cli/report_text.hpp"

namespace flashcheck::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> backends;
  uint64_t seed = kDefaultMatrixSeed;
  std::string json_path;
  bool quick = false;
  int threads = 0;
  int diagnose = kDefaultDiagnoseLimit;
  std::string artifacts = kDefaultArtifactsDir;
  bool verbose = false;
  ExtraBackendOptions extra;
};

// One line per evaluation with --verbose; otherwise a self-erasing counter on a terminal.
class Progress {
 public:
  Progress(size_t total, bool verbose, std::FILE* out)
      : total_(total), verbose_(verbose), live_(!verbose && isatty(STDERR_FILENO)), out_(out) {}
  void case_started(size_t index, const std::string& family) {
    if (live_) fmt::print(stderr, "\r\033[K[{}/{}] {}", index + 1, total_, family);
  }
  void evaluated(size_t index, const CaseOutcome& o) {
    if (!verbose_) return;
    fmt::print(out_, "[{:>3}/{}] {:<14} {:<48} {:<11} backend {:.3f} s, oracle {:.3f} s\n", index + 1, total_, o.backend,
               o.family, status_name(o.status), o.backend_seconds, o.oracle_seconds);
    std::fflush(out_);
  }
  void finish() {
    if (live_) fmt::print(stderr, "\r\033[K");
  }

 private:
  size_t total_;
  bool verbose_, live_;
  std::FILE* out_;
};

int run_check(const CheckOptions& opts) {
  std::FILE* out = opts.json_path == "-" ? stderr : stdout;  // keep stdout pure JSON when it carries the report
  ensure_writable(opts.json_path);  // fail before the run, not after it
  const SessionRegistry session = session_registry(opts.extra);
  BackendSelection selection = select_backends(session.registry, backends_to_grade(session, opts.backends));
  for (const auto& s : selection.skipped) fmt::print(out, "skipping unavailable backend {}\n", s);
  if (selection.backends.empty()) {
    fmt::print(stderr, "flashcheck: error: no backend is available to check\n");
    return kExitFail;
  }
  const std::vector<MatrixEntry> matrix = opts.quick ? quick_matrix(opts.seed) : default_matrix(opts.seed);
  std::vector<std::string> names;
  for (const auto& b : selection.backends) names.push_back(b->name());
  fmt::print(out, "flashcheck check: {} {} cases x {} backend(s) [{}], seed {}\n", matrix.size(),
             opts.quick ? "quick" : "default", names.size(), fmt::join(names, ", "), opts.seed);
  std::fflush(out);

  std::vector<Backend*> backends;
  for (const auto& b : selection.backends) backends.push_back(b.get());
  PlanOptions plan_options;
  plan_options.oracle_threads = opts.threads;
  plan_options.diagnose_limit = opts.diagnose;
  plan_options.artifacts_dir = opts.artifacts;
  CaseCache cache(opts.threads, /*keep_cases=*/false);
  OracleTotals oracle_totals;
  Progress progress(matrix.size(), opts.verbose, out);
  PlanCallbacks callbacks;
  callbacks.on_case = [&](size_t index, const MatrixEntry& entry) { progress.case_started(index, entry.family); };
  callbacks.on_outcome = [&](size_t index, const CaseOutcome& o) { progress.evaluated(index, o); };
  std::vector<CaseOutcome> outcomes = run_plan(backends, matrix, cache, plan_options, &oracle_totals, callbacks);
  progress.finish();

  // Evaluation runs case by case (to share the oracle); the report reads better per backend.
  std::stable_sort(outcomes.begin(), outcomes.end(), [&](const CaseOutcome& a, const CaseOutcome& b) {
    return std::find(names.begin(), names.end(), a.backend) < std::find(names.begin(), names.end(), b.backend);
  });

  fmt::print(out, "\n{}\n{}", format_outcome_table(outcomes), format_totals(outcomes, oracle_totals));
  const bool any_failure = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.is_failure(); });
  if (any_failure) {
    fmt::print(out, "\nFailures:\n");
    for (const auto& o : outcomes)
      if (o.is_failure()) fmt::print(out, "{}\n", format_failure(o));
  }

  if (!opts.json_path.empty()) {
    nlohmann::json doc;
    doc["command"] = "check";
    doc["seed"] = opts.seed;
    doc["matrix"] = opts.quick ? "quick" : "default";
    doc["backends"] = names;
    doc["skipped_backends"] = selection.skipped;
    doc["results"] = nlohmann::json::array();
    for (const auto& o : outcomes) doc["results"].push_back(outcome_to_json(o));
    nlohmann::json totals = {{"evaluations", outcomes.size()}};
    for (auto s : {CaseOutcome::Status::pass, CaseOutcome::Status::fail, CaseOutcome::Status::unsupported,
                   CaseOutcome::Status::error})
      totals[status_name(s)] = std::count_if(outcomes.begin(), outcomes.end(), [s](const auto& o) { return o.status == s; });
    doc["totals"] = totals;
    doc["oracle"] = oracle_stats_to_json(oracle_totals.stats);
    doc["oracle"]["cases"] = oracle_totals.cases;
    doc["oracle"]["seconds"] = oracle_totals.seconds;
    doc["pass"] = !any_failure;
    write_json(opts.json_path, doc);
  }
  fmt::print(out, "{}\n", any_failure ? "RESULT: FAIL" : "RESULT: PASS");
  return any_failure ? kExitFail : kExitPass;
}

}  // namespace

Command add_check_command(CLI::App& root) {
  auto opts = std::make_shared<CheckOptions>();
  CLI::App* app = root.add_subcommand("check", "Run the default case matrix on the available (or named) backends");
  app->add_option("--backend", opts->backends, "Backend to check (repeatable; default: every available one)")
      ->type_name("NAME");
  app->add_option("--seed", opts->seed, "Base seed from which every case's seed is derived")->capture_default_str();
  app->add_option("--json", opts->json_path, "Also write every result as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  app->add_flag("--quick", opts->quick, "Run the small smoke subset of the matrix");
  app->add_option("--threads", opts->threads, "Oracle worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app->add_option("--diagnose", opts->diagnose, "Diagnose the bug class of up to N failures per backend (0: none)")
      ->type_name("N")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app->add_option("--artifacts", opts->artifacts, "Save every failing case as a case file under DIR ('': do not save)")
      ->type_name("DIR")
      ->capture_default_str();
  app->add_flag("--verbose,-v", opts->verbose, "Print each evaluation as it finishes");
  add_extra_backend_options(app, opts->extra);
  return {app, [opts] { return run_check(*opts); }};
}

}  // namespace flashcheck::cli
