// `flashcheck verify`: a bundle's cases against the outputs its runners wrote on the
// device (docs/bundle-protocol.md), graded with check's and replay's verdicts; the same
// report lines, summary, JUnit and JSON as replay.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/bundle_verify.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/junit_report.hpp"
#include "cli/replay_report.hpp"
#include "cli/report_json.hpp"

namespace flashcheck::cli {
namespace {

struct VerifyCommandOptions {
  std::string bundle;
  VerifyOptions verify;
  std::string junit_path;
  std::string json_path;
};

int run_verify(const VerifyCommandOptions& opts) {
  std::FILE* out = opts.json_path == "-" ? stderr : stdout;  // keep stdout pure JSON when it carries the report
  ensure_writable(opts.json_path);
  ensure_writable(opts.junit_path);
  fmt::print(out, "flashcheck verify: {}\n", opts.bundle);
  std::fflush(out);
  const VerifyRun v = verify_bundle(opts.bundle, opts.verify, [out](const ReplayResult& r) {
    fmt::print(out, "{}", format_result(r));
    std::fflush(out);
  });
  ReplayContext context;
  context.backends = v.subjects;
  context.command = "verify";
  fmt::print(out, "{}", format_replay_summary(v.run, context));
  if (!opts.junit_path.empty()) {
    write_junit(opts.junit_path, "flashcheck verify", replay_junit_suites(v.run, context));
    fmt::print(out, "JUnit report: {}\n", opts.junit_path);
  }
  if (!opts.json_path.empty()) {
    nlohmann::json doc = replay_to_json(v.run, context);
    doc["command"] = "verify";
    doc["bundle"] = opts.bundle;
    write_json(opts.json_path, doc);
  }
  return replay_passed(v.run, context) ? kExitPass : kExitFail;
}

}  // namespace

Command add_verify_command(CLI::App& root) {
  auto opts = std::make_shared<VerifyCommandOptions>();
  CLI::App* app = root.add_subcommand("verify", "Grade the outputs runners wrote into a bundle (see export)");
  app->add_option("bundle", opts->bundle, "Bundle directory written by flashcheck export")->required()->type_name("DIR");
  app->add_option("--runner", opts->verify.runners,
                  "Runner results to grade (directory names under results/; repeatable or comma-separated; "
                  "default: all)")
      ->type_name("NAME")
      ->delimiter(',');
  app->add_option("--case", opts->verify.case_ids, "Only these case ids (repeatable or comma-separated)")
      ->type_name("ID")
      ->delimiter(',');
  app->add_option("--junit", opts->junit_path, "Also write a JUnit XML report to FILE")->type_name("FILE");
  app->add_option("--json", opts->json_path, "Also write every result as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  app->add_option("--threads", opts->verify.oracle_threads, "Oracle worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app->footer(
      "Exit status: 0 every runner's every case passed or was unsupported; 1 a failure, an error (a missing or "
      "malformed output, a broken results.json or case.fcase), or no result at all; 2 usage error (not a bundle, "
      "no runner results, an unknown --runner or --case).");
  return {app, [opts] { return run_verify(*opts); }};
}

}  // namespace flashcheck::cli
