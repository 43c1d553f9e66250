// `flashcheck replay`: saved cases (corpus records and case files, directories walked
// recursively) on every available correct subject or the named backends, with the
// expected kills each case lists (docs/corpus-format.md, "Replay"). One line per case
// and backend, a summary, and optionally JUnit XML and JSON reports.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/backend_selection.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/extra_backends.hpp"
#include "cli/junit_report.hpp"
#include "cli/replay_engine.hpp"
#include "cli/replay_inputs.hpp"
#include "cli/replay_report.hpp"
#include "cli/report_json.hpp"

namespace flashcheck::cli {
namespace {

struct ReplayCommandOptions {
  std::vector<std::string> paths;
  std::vector<std::string> backends;
  std::string junit_path;
  std::string json_path;
  std::string artifacts;
  int threads = 0;
  bool no_rules = false;
  bool no_kills = false;
  bool strict = false;
  ExtraBackendOptions extra;
};

int run_replay(const ReplayCommandOptions& opts) {
  std::FILE* out = opts.json_path == "-" ? stderr : stdout;  // keep stdout pure JSON when it carries the report
  const SessionRegistry session = session_registry(opts.extra);
  // Asked about plugin subjects (and nothing named), replay grades just those.
  const std::vector<std::string> named = backends_to_grade(session, opts.backends);
  BackendSelection selection = select_backends(session.registry, named);
  const ReplayInputs inputs = collect_case_files(opts.paths, {opts.junit_path, opts.json_path});
  ensure_writable(opts.json_path);  // fail before the run, not after it
  ensure_writable(opts.junit_path);

  ReplayContext context;
  context.skipped_backends = selection.skipped;
  context.skipped_files = inputs.skipped;
  context.strict = opts.strict;
  std::vector<Backend*> backends;
  for (const auto& b : selection.backends) {
    backends.push_back(b.get());
    context.backends.push_back(b->name());
  }
  fmt::print(out, "flashcheck replay: {} case file(s) x {} backend(s) [{}]\n", inputs.case_files.size(),
             backends.size(), fmt::join(context.backends, ", "));
  std::fflush(out);

  ReplayOptions options;
  options.oracle_threads = opts.threads;
  options.rules = !opts.no_rules;
  options.kills = !opts.no_kills;
  options.artifacts_dir = opts.artifacts;
  const ReplayRun run = replay_cases(inputs.case_files, backends, !named.empty(), session.registry, options,
                                     [out](const ReplayResult& r) {
                                       fmt::print(out, "{}", format_result(r));
                                       std::fflush(out);
                                     });
  fmt::print(out, "{}", format_replay_summary(run, context));

  if (!opts.junit_path.empty()) {
    write_junit(opts.junit_path, "flashcheck replay", replay_junit_suites(run, context));
    fmt::print(out, "JUnit report: {}\n", opts.junit_path);
  }
  if (!opts.json_path.empty()) write_json(opts.json_path, replay_to_json(run, context));
  return replay_passed(run, context) ? kExitPass : kExitFail;
}

}  // namespace

Command add_replay_command(CLI::App& root) {
  auto opts = std::make_shared<ReplayCommandOptions>();
  CLI::App* app = root.add_subcommand(
      "replay", "Replay saved cases (corpus records, case files, directories of them) and check their expected kills");
  app->add_option("paths", opts->paths, "Case files (.fcase, .json) and directories, walked recursively")
      ->required()
      ->type_name("PATH");
  app->add_option("--backend", opts->backends,
                  "Backend to replay on (repeatable, or comma-separated; subject@mutant allowed; "
                  "default: every available correct subject)")
      ->type_name("NAME")
      ->delimiter(',');
  app->add_option("--junit", opts->junit_path, "Also write a JUnit XML report to FILE")->type_name("FILE");
  app->add_option("--json", opts->json_path, "Also write every result as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  app->add_option("--threads", opts->threads, "Oracle worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app->add_option("--artifacts", opts->artifacts, "Save every unexpected failure as a case file under DIR")
      ->type_name("DIR");
  app->add_flag("--no-rules", opts->no_rules, "Skip the absolute rules (masked keys, rerun, threads)");
  app->add_flag("--no-kills", opts->no_kills,
                "Do not check the expected kills the cases list (each is reported as skipped)");
  app->add_flag("--strict", opts->strict, "Count files of walked directories that are not case files as errors");
  add_extra_backend_options(app, opts->extra);
  app->footer(
      "Exit status: 0 every case passed on every backend and every expected kill checked here was confirmed; "
      "1 a failure, an error, a missed kill, a case file that cannot be read or decoded, or no case file at all; "
      "2 usage error (unknown backend, a path that does not exist).");
  return {app, [opts] { return run_replay(*opts); }};
}

}  // namespace flashcheck::cli
