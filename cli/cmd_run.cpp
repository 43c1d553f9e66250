// `flashcheck run`: one case, from a recipe given as flags (what a failing check's
// replay command calls) or from a saved case file, graded and reported in full.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/artifacts.hpp"
#include "cli/backend_selection.hpp"
#include "cli/case_evaluation.hpp"
#include "cli/check_matrix.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/extra_backends.hpp"
#include "cli/recipe_flags.hpp"
#include "cli/report_json.hpp"
#include "cli/report_text.hpp"
#include "core/case_codec.hpp"
#include "core/case_json.hpp"

namespace flashcheck::cli {
namespace {

struct RunOptions {
  std::string backend;
  CaseRecipe recipe;
  std::vector<const CLI::Option*> recipe_options;  // to tell whether a recipe flag was given
  const CLI::Option* case_option = nullptr;
  std::string case_path;
  std::string save_case_path;
  std::string failure_dir;
  std::string json_path;
  int threads = 0;
  ExtraBackendOptions extra;

  bool from_case_file() const { return case_option->count() > 0; }
};

void reject_recipe_flags_with_case_file(const RunOptions& opts) {
  std::string given;
  for (const CLI::Option* o : opts.recipe_options)
    if (o->count() > 0) given += (given.empty() ? "" : ", ") + o->get_name();
  if (!given.empty())
    throw UsageError(fmt::format(
        "--case replays the case saved in a file and cannot be combined with recipe flags (given: {})", given));
}

AttentionCase case_to_run(const RunOptions& opts) {
  if (opts.from_case_file()) {
    try {
      // A binary record (corpus .fcase file) replays the case it describes.
      if (opts.case_path.ends_with(".fcase")) return materialize(load_case_record(opts.case_path));
      return load_case_file(opts.case_path);
    } catch (const std::exception& e) {  // unreadable or malformed: the user must fix the argument
      throw UsageError(e.what());
    }
  }
  try {
    return generate(opts.recipe);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("the recipe does not describe a valid case: {}", e.what()));
  }
}

// The report's replay line names the recipe; a case from a file replays from that file.
std::string with_replay_line(const std::string& details, const std::string& replay) {
  const std::string marker = "replay: ";
  const size_t at = details.starts_with(marker) ? 0 : details.find("\n" + marker);
  if (at == std::string::npos) return details + marker + replay + "\n";
  const size_t start = at == 0 ? 0 : at + 1;
  const size_t end = details.find('\n', start);
  return details.substr(0, start) + marker + replay + (end == std::string::npos ? "\n" : details.substr(end));
}

std::string failure_reason(const CaseOutcome& outcome) {
  if (outcome.verdict && !outcome.verdict->pass) return outcome.verdict->summary();
  return fmt::format("{}: {}", status_name(outcome.status), outcome.message);
}

int run_one(const RunOptions& opts) {
  const bool from_file = opts.from_case_file();
  if (from_file) reject_recipe_flags_with_case_file(opts);
  ensure_writable(opts.json_path);
  const SessionRegistry session = session_registry(opts.extra);
  BackendSelection selection = select_backends(session.registry, {opts.backend});
  Backend& backend = *selection.backends.front();
  const AttentionCase c = case_to_run(opts);

  std::FILE* out = opts.json_path == "-" ? stderr : stdout;  // keep stdout pure JSON when it carries the report
  if (!opts.save_case_path.empty()) {  // before the run, so a crashing subject still leaves the case behind
    save_case_file(opts.save_case_path, c,
                   {{"backend", opts.backend},
                    {"reason", "saved by flashcheck run --save-case"},
                    {"replay", replay_command(opts.backend, opts.save_case_path)}});
    fmt::print(out, "case saved: {}\n", opts.save_case_path);
  }

  LazyOracle oracle(c, oracle_options_for(c, opts.threads));
  const CaseOutcome outcome = from_file ? evaluate_case(backend, c, oracle)
                                        : evaluate_case(backend, family_label(opts.recipe), opts.recipe, c, oracle);
  const std::string file_replay = from_file ? replay_command(opts.backend, opts.case_path) : "";
  const std::string details = format_case_details(outcome);
  fmt::print(out, "{}", from_file ? with_replay_line(details, file_replay) : details);

  std::string artifact;
  if (outcome.is_failure() && !opts.failure_dir.empty()) {
    artifact = save_failure_artifact(opts.failure_dir, opts.backend, c, failure_reason(outcome));
    fmt::print(out, "failing case saved: {}\nreplay it: {}\n", artifact, replay_command(opts.backend, artifact));
  }
  if (!opts.json_path.empty()) {
    nlohmann::json doc = outcome_to_json(outcome);
    doc["command"] = "run";
    if (from_file) {
      doc["case_file"] = opts.case_path;
      doc["replay"] = file_replay;
    }
    if (!opts.save_case_path.empty()) doc["saved_case"] = opts.save_case_path;
    if (!artifact.empty()) doc["failure_artifact"] = artifact;
    write_json(opts.json_path, doc);
  }
  return outcome.is_failure() ? kExitFail : kExitPass;
}

}  // namespace

Command add_run_command(CLI::App& root) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* app =
      root.add_subcommand("run", "Grade one backend on one case described by recipe flags or saved in a case file");
  app->add_option("--backend", opts->backend, "Backend to run")->required()->type_name("NAME");
  const size_t before_recipe = app->get_options().size();
  add_recipe_options(*app, &opts->recipe);
  const std::vector<CLI::Option*> options = app->get_options();
  opts->recipe_options.assign(options.begin() + static_cast<std::ptrdiff_t>(before_recipe), options.end());
  opts->case_option =
      app->add_option("--case", opts->case_path, "Run the case saved in this case file (instead of recipe flags)")
          ->type_name("FILE");
  app->add_option("--save-case", opts->save_case_path, "Write the case that runs to this case file (JSON)")
      ->type_name("FILE");
  app->add_option("--save-failures", opts->failure_dir,
                  "When the case fails, save it as a case file in this directory")
      ->type_name("DIR");
  app->add_option("--json", opts->json_path, "Also write the result as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  app->add_option("--threads", opts->threads, "Oracle worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  add_extra_backend_options(app, opts->extra);
  return {app, [opts] { return run_one(*opts); }};
}

}  // namespace flashcheck::cli
