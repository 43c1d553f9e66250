// `flashcheck run`: one case from a recipe given as flags (what a failing
// check's replay command calls), graded and reported in full.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/backend_selection.hpp"
#include "cli/case_evaluation.hpp"
#include "cli/check_matrix.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/recipe_flags.hpp"
#include "cli/report_json.hpp"
#include "cli/report_text.hpp"
#include "impls/builtin_backends.hpp"

namespace flashcheck::cli {
namespace {

struct RunOptions {
  std::string backend;
  CaseRecipe recipe;
  std::string json_path;
  int threads = 0;
};

int run_one(const RunOptions& opts) {
  ensure_writable(opts.json_path);
  BackendSelection selection = select_backends(builtin_registry(), {opts.backend});
  Backend& backend = *selection.backends.front();
  AttentionCase c;
  try {
    c = generate(opts.recipe);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("the recipe does not describe a valid case: {}", e.what()));
  }
  LazyOracle oracle(c, oracle_options_for(c, opts.threads));
  const CaseOutcome outcome = evaluate_case(backend, family_label(opts.recipe), opts.recipe, c, oracle);

  std::FILE* out = opts.json_path == "-" ? stderr : stdout;  // keep stdout pure JSON when it carries the report
  fmt::print(out, "{}", format_case_details(outcome));
  if (!opts.json_path.empty()) {
    nlohmann::json doc = outcome_to_json(outcome);
    doc["command"] = "run";
    write_json(opts.json_path, doc);
  }
  return outcome.is_failure() ? kExitFail : kExitPass;
}

}  // namespace

Command add_run_command(CLI::App& root) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* app = root.add_subcommand("run", "Grade one backend on one case described by recipe flags");
  app->add_option("--backend", opts->backend, "Backend to run")->required()->type_name("NAME");
  add_recipe_options(*app, &opts->recipe);
  app->add_option("--json", opts->json_path, "Also write the result as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  app->add_option("--threads", opts->threads, "Oracle worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  return {app, [opts] { return run_one(*opts); }};
}

}  // namespace flashcheck::cli
