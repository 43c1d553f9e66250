#include "cli/replay_report.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "cli/replay_kills.hpp"
#include "cli/report_json.hpp"

namespace flashcheck::cli {
namespace {

using Status = ReplayResult::Status;

constexpr std::array<Status, 8> kStatuses{Status::pass,   Status::fail,       Status::unsupported,  Status::error,
                                          Status::killed, Status::not_killed, Status::kill_skipped, Status::bad_file};

// "FAIL [drift]", "killed [drift]": the status with the classes a failure was given.
std::string label_of(const ReplayResult& r) {
  std::string label = status_label(r.status);
  if (r.outcome && !r.outcome->fault.empty()) return label + " [" + r.outcome->fault + "]";  // "ERROR [crashed]"
  if (!r.outcome || (r.status != Status::fail && r.status != Status::killed)) return label;
  const std::vector<std::string> classes = failure_classes(*r.outcome);
  if (!classes.empty()) label += fmt::format(" [{}]", fmt::join(classes, ", "));
  return label;
}

std::string metrics_of(const CaseOutcome& o) {
  if (!o.verdict) return "";
  const Verdict& v = *o.verdict;
  return fmt::format("max err {:.4g} ulp, budget use {:.4g} ({:a})", v.o_metrics.ulp_error.max, v.worst_budget_ratio,
                     v.worst_budget_ratio);
}

std::string expected_kill_text(const ExpectedKill& k) {
  return k.bug_class.empty() ? "expected to fail" : "expected to fail as " + k.bug_class;
}

// The one-line reason of a result, as its report line and JUnit's message show it. A
// failure's own reason (the verdict's summary, a broken rule) is long: problem_details
// gives it on its own line.
std::string reason_of(const ReplayResult& r) {
  std::vector<std::string> parts;
  if (r.kill) parts.push_back(expected_kill_text(*r.kill));
  const bool judged = r.outcome && r.outcome->verdict;
  if (judged && r.status != Status::unsupported) parts.push_back(metrics_of(*r.outcome));
  const bool detail_below = r.status == Status::fail || r.status == Status::killed;
  if (!r.detail.empty() && !detail_below) parts.push_back(r.detail);
  return fmt::format("{}", fmt::join(parts, "; "));
}

// The lines under a problem: what a user needs to understand and reproduce it.
std::string problem_details(const ReplayResult& r) {
  std::string out;
  if (r.status == Status::fail && !r.detail.empty()) out += "why: " + r.detail + "\n";
  if (r.outcome) {
    const CaseOutcome& o = *r.outcome;
    if (o.diagnosis) out += "diagnosis: " + describe(*o.diagnosis) + "\n";
    if (!o.artifact.empty()) out += "failing case saved: " + o.artifact + "\n";
  }
  if (!r.replay.empty()) out += "replay: " + r.replay + "\n";
  return out;
}

std::string indented(const std::string& text, const std::string& pad) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const size_t stop = end == std::string::npos ? text.size() : end;
    out += pad + text.substr(start, stop - start) + "\n";
    start = stop + 1;
  }
  return out;
}

size_t count(const ReplayRun& run, Status s) {
  return static_cast<size_t>(
      std::count_if(run.results.begin(), run.results.end(), [s](const ReplayResult& r) { return r.status == s; }));
}

double seconds_of(const ReplayResult& r) {
  return r.outcome ? r.outcome->backend_seconds + r.outcome->oracle_seconds : 0.0;
}

JUnitCase::Result junit_result(Status s) {
  switch (s) {
    case Status::pass:
    case Status::killed: return JUnitCase::Result::passed;
    case Status::fail:
    case Status::not_killed: return JUnitCase::Result::failure;
    case Status::error:
    case Status::bad_file: return JUnitCase::Result::error;
    case Status::unsupported:
    case Status::kill_skipped: return JUnitCase::Result::skipped;
  }
  return JUnitCase::Result::error;
}

constexpr const char* kFileSuite = "case files";

}  // namespace

std::string format_result(const ReplayResult& r) {
  const std::string who = r.backend.empty() ? "-" : r.backend;
  std::string out = fmt::format("{:<22} {:<28} {}", label_of(r), who, r.file);
  if (const std::string reason = reason_of(r); !reason.empty()) out += "  (" + reason + ")";
  out += "\n";
  if (r.is_problem()) out += indented(problem_details(r), "    ");
  return out;
}

bool replay_passed(const ReplayRun& run, const ReplayContext& context) {
  if (run.results.empty()) return false;
  if (context.strict && !context.skipped_files.empty()) return false;
  return std::none_of(run.results.begin(), run.results.end(), [](const ReplayResult& r) { return r.is_problem(); });
}

std::string format_replay_summary(const ReplayRun& run, const ReplayContext& context) {
  const size_t bad = count(run, Status::bad_file);
  std::string out = fmt::format("\n{} summary: {} case file(s): {} replayed, {} not valid case(s); backends: {}\n",
                                context.command, run.cases + bad, run.cases, bad, fmt::join(context.backends, ", "));
  out += fmt::format("  checks:  {} pass, {} fail, {} unsupported, {} error(s)\n", count(run, Status::pass),
                     count(run, Status::fail), count(run, Status::unsupported), count(run, Status::error));
  out += fmt::format("  kills:   {} confirmed, {} NOT killed, {} not checked here\n", count(run, Status::killed),
                     count(run, Status::not_killed), count(run, Status::kill_skipped));
  std::map<std::string, size_t> kill_skips;  // reason -> how many, so a long corpus stays readable
  for (const ReplayResult& r : run.results)
    if (r.status == Status::kill_skipped) ++kill_skips[r.backend + ": " + r.detail];
  for (const auto& [reason, n] : kill_skips) out += fmt::format("    {} x {}\n", n, reason);
  if (bad > 0) {
    out += "  not valid cases (errors):\n";
    for (const ReplayResult& r : run.results)
      if (r.status == Status::bad_file) out += fmt::format("    {}: {}\n", r.file, r.detail);
  }
  if (!context.skipped_files.empty()) {
    out += fmt::format("  skipped files ({}){}:\n", context.skipped_files.size(),
                       context.strict ? ", errors under --strict" : "");
    for (const SkippedFile& f : context.skipped_files) out += fmt::format("    {}: {}\n", f.path, f.reason);
  }
  for (const std::string& b : context.skipped_backends) out += fmt::format("  backend not replayed: {}\n", b);
  out += fmt::format("  oracle: {} case(s), {:.2f} s\n", run.oracle.cases, run.oracle.seconds);
  if (run.results.empty()) out += "  nothing replayed: no case file was found\n";
  out += fmt::format("RESULT: {}\n", replay_passed(run, context) ? "PASS" : "FAIL");
  return out;
}

std::vector<JUnitSuite> replay_junit_suites(const ReplayRun& run, const ReplayContext& context) {
  std::vector<JUnitSuite> suites;
  auto suite_named = [&](const std::string& name) -> JUnitSuite& {
    auto it = std::find_if(suites.begin(), suites.end(), [&](const JUnitSuite& s) { return s.name == name; });
    if (it != suites.end()) return *it;
    suites.push_back({name, {}});
    return suites.back();
  };
  for (const std::string& b : context.backends) suite_named(b);  // selection order, even when nothing ran
  for (const ReplayResult& r : run.results) {
    JUnitCase c;
    c.result = junit_result(r.status);
    c.seconds = seconds_of(r);
    c.message = fmt::format("{}: {}", label_of(r), reason_of(r));
    if (c.result == JUnitCase::Result::failure || c.result == JUnitCase::Result::error) c.text = problem_details(r);
    if (r.status == Status::bad_file) {
      c.name = r.file;
      c.classname = "replay.case_files";
      suite_named(kFileSuite).cases.push_back(std::move(c));
      continue;
    }
    c.name = r.kill ? fmt::format("{} kills {}", r.file, r.backend) : fmt::format("{} on {}", r.file, r.backend);
    c.classname = "replay." + r.backend;
    suite_named(r.backend).cases.push_back(std::move(c));
  }
  for (const SkippedFile& f : context.skipped_files) {
    JUnitCase c;
    c.name = f.path;
    c.classname = "replay.case_files";
    c.result = context.strict ? JUnitCase::Result::failure : JUnitCase::Result::skipped;
    c.message = f.reason;
    suite_named(kFileSuite).cases.push_back(std::move(c));
  }
  return suites;
}

nlohmann::json replay_to_json(const ReplayRun& run, const ReplayContext& context) {
  nlohmann::json doc;
  doc["command"] = "replay";
  doc["backends"] = context.backends;
  doc["skipped_backends"] = context.skipped_backends;
  doc["skipped_files"] = nlohmann::json::array();
  for (const SkippedFile& f : context.skipped_files)
    doc["skipped_files"].push_back({{"path", f.path}, {"reason", f.reason}});
  doc["results"] = nlohmann::json::array();
  for (const ReplayResult& r : run.results) {
    nlohmann::json j = {{"file", r.file},       {"case_name", r.case_name}, {"backend", r.backend},
                        {"status", status_key(r.status)}, {"detail", r.detail}, {"replay", r.replay}};
    j["expected_kill"] = r.kill ? nlohmann::json{{"backend", r.kill->backend}, {"bug_class", r.kill->bug_class}}
                                : nlohmann::json(nullptr);
    if (r.outcome) {
      j["outcome"] = outcome_to_json(*r.outcome);
      j["outcome"]["replay"] = r.replay;  // the case file replays it, not the recipe describing it
    }
    doc["results"].push_back(std::move(j));
  }
  nlohmann::json totals = {{"case_files", run.cases + count(run, Status::bad_file)}, {"cases", run.cases}};
  for (Status s : kStatuses) totals[status_key(s)] = count(run, s);
  doc["totals"] = totals;
  doc["oracle"] = oracle_stats_to_json(run.oracle.stats);
  doc["oracle"]["cases"] = run.oracle.cases;
  doc["oracle"]["seconds"] = run.oracle.seconds;
  doc["pass"] = replay_passed(run, context);
  return doc;
}

}  // namespace flashcheck::cli
