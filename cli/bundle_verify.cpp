#include "cli/bundle_verify.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "cli/bundle_layout.hpp"
#include "cli/bundle_results.hpp"
#include "cli/check_plan.hpp"
#include "cli/exit_codes.hpp"
#include "cli/replay_inputs.hpp"
#include "core/case_file_naming.hpp"

namespace flashcheck::cli {
namespace {

// The probes that rerun the subject cannot run on recorded outputs: the "rerun" probe
// compares the recording with itself, and a rule that reads a refused rerun as broken
// (masked keys) concludes nothing about the kernel. Such evidence is said for what it is
// and such a conclusion withdrawn: the failure stays, as a wrong result.
void fit_diagnosis_to_recorded_output(CaseOutcome& o) {
  if (!o.diagnosis) return;
  Diagnosis& d = *o.diagnosis;
  for (std::string& line : d.evidence)
    if (line.starts_with("rerun: the same bits again"))
      line = "rerun: not possible on a recorded output (only the recording was compared with itself)";
  if (d.evidence.empty() || d.evidence.back().find(kRecordedOnly) == std::string::npos) return;
  d.evidence.push_back(fmt::format("conclusion: '{}' rested on a rerun that recorded outputs cannot make; no probe "
                                   "that needs only the recorded output named a class: a wrong result",
                                   d.bug_class));
  d.bug_class = "wrong-result";
}

// A runner as loaded, or why its results.json cannot be used.
struct Runner {
  std::string name;
  std::optional<RunnerResults> results;
  std::string error;
};

std::vector<Runner> load_runners(const std::string& bundle_dir, const std::vector<std::string>& wanted) {
  const std::vector<std::string> present = bundle_runner_names(bundle_dir);
  std::vector<std::string> names = wanted.empty() ? present : wanted;
  if (names.empty())
    throw UsageError(fmt::format("{} holds no runner results (expected {}/<runner>/{}); run a runner first, e.g. "
                                 "python3 impls/external/numpy_runner.py {}",
                                 bundle_dir, kResultsDir, kResultsFile, bundle_dir));
  std::vector<Runner> runners;
  for (const std::string& name : names) {
    if (!wanted.empty() && std::find(present.begin(), present.end(), name) == present.end())
      throw UsageError(fmt::format("no results of runner '{}' in {} (present: {})", name, bundle_dir,
                                   present.empty() ? "none" : fmt::format("{}", fmt::join(present, ", "))));
    Runner r{name, std::nullopt, ""};
    try {
      r.results = load_runner_results(bundle_dir, name);
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    runners.push_back(std::move(r));
  }
  return runners;
}

std::string verify_command(const std::string& bundle_dir, const std::string& runner, const std::string& id) {
  return fmt::format("flashcheck verify {} --runner {} --case {}", shell_quote(bundle_dir), runner, id);
}

}  // namespace

VerifyRun verify_bundle(const std::string& bundle_dir, const VerifyOptions& options,
                        const std::function<void(const ReplayResult&)>& on_result) {
  std::error_code ec;
  if (!std::filesystem::is_directory(bundle_dir, ec)) throw UsageError(fmt::format("{} is not a directory", bundle_dir));
  if (!std::filesystem::exists(bundle_path(bundle_dir, kManifestFile), ec))
    throw UsageError(fmt::format("{} is not a bundle: it has no {} (write one with flashcheck export)", bundle_dir,
                                 kManifestFile));
  const BundleManifest manifest = load_bundle_manifest(bundle_dir);
  for (const std::string& id : options.case_ids)
    if (std::none_of(manifest.cases.begin(), manifest.cases.end(), [&](const auto& c) { return c.id == id; }))
      throw UsageError(fmt::format("the bundle has no case '{}'", id));
  const std::vector<Runner> runners = load_runners(bundle_dir, options.runners);

  VerifyRun out;
  auto emit = [&](ReplayResult r) {
    if (on_result) on_result(r);
    out.run.results.push_back(std::move(r));
  };
  for (const Runner& r : runners) {
    if (!r.results) {
      ReplayResult bad;
      bad.status = ReplayResult::Status::bad_file;
      bad.file = runner_dir(bundle_dir, r.name) + "/" + std::string(kResultsFile);
      bad.detail = one_line(r.error);
      emit(std::move(bad));
      continue;
    }
    const RunnerResults& rr = *r.results;
    out.subjects.push_back(fmt::format("{} ({}/{}, contract {}, device {})", rr.subject, kResultsDir, rr.name,
                                       rr.contract, rr.device.empty() ? "not stated" : rr.device));
  }

  PlanOptions plan;
  plan.oracle_threads = options.oracle_threads;
  plan.diagnose_limit = options.diagnose_limit;
  plan.artifacts_dir.clear();  // the bundle already holds every case
  std::map<std::string, BackendPlanState> states;

  for (const BundleManifestCase& mc : manifest.cases) {
    if (!options.case_ids.empty() &&
        std::find(options.case_ids.begin(), options.case_ids.end(), mc.id) == options.case_ids.end())
      continue;
    LoadedCase loaded = load_case_for_replay(mc.case_file);
    if (!loaded.c) {
      ReplayResult bad;
      bad.status = ReplayResult::Status::bad_file;
      bad.file = mc.case_file;
      bad.detail = one_line(loaded.error);
      emit(std::move(bad));
      continue;
    }
    ++out.run.cases;
    const AttentionCase& c = *loaded.c;
    LazyOracle oracle(c, oracle_options_for(c, options.oracle_threads));
    for (const Runner& runner : runners) {
      if (!runner.results) continue;
      const RunnerResults& rr = *runner.results;
      ReplayResult result;
      result.file = mc.case_file;
      result.case_name = mc.id;
      result.backend = rr.subject;
      result.replay = verify_command(bundle_dir, rr.name, mc.id);
      const auto status = rr.cases.find(mc.id);
      RunResult recorded;
      std::string contract = rr.contract;
      if (status == rr.cases.end()) {
        recorded = RunResult::error(fmt::format("{}/{} has no entry for this case", rr.dir, kResultsFile));
      } else if (status->second.kind == RunnerCaseStatus::Kind::unsupported) {
        recorded = RunResult::unsupported(status->second.message);
      } else if (status->second.kind == RunnerCaseStatus::Kind::error) {
        recorded = RunResult::error("the runner reported: " + status->second.message);
      } else {
        recorded = load_runner_output(rr, mc.id, c);
        if (!status->second.contract.empty()) contract = status->second.contract;
      }
      RecordedBackend backend(rr.subject, contract, c, std::move(recorded));
      auto [state, inserted] = states.try_emplace(rr.name, BackendPlanState{options.diagnose_limit});
      CaseOutcome outcome = check_case(backend, c, oracle, false, state->second, plan);
      fit_diagnosis_to_recorded_output(outcome);
      result.status = replay_status_of(outcome);
      result.detail = outcome_detail(outcome);
      result.outcome = std::move(outcome);
      emit(std::move(result));
    }
    if (const OracleStats* s = oracle.stats()) out.run.oracle.add(*s, oracle.seconds());
  }
  return out;
}

}  // namespace flashcheck::cli
