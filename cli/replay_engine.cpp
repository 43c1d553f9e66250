#include "cli/replay_engine.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <map>

#include <fmt/format.h>

#include "cli/artifacts.hpp"
#include "cli/backend_selection.hpp"
#include "cli/check_plan.hpp"
#include "cli/replay_kills.hpp"

namespace flashcheck::cli {
namespace {

// Kill backends, built on first use and kept for the run (an OpenCL or CUDA subject
// compiles its kernels once). A selected backend is reused under its own name.
class KillBackends {
 public:
  KillBackends(const Registry& registry, const std::vector<Backend*>& selected) : registry_(registry) {
    for (Backend* b : selected) entries_[b->name()].backend = b;
  }
  // The backend, or nullptr with *why_not set (and *broken when the spec itself is wrong).
  Backend* get(const std::string& spec, std::string* why_not, bool* broken) {
    Entry& e = entries_[spec];
    if (!e.backend && e.why_not.empty()) build(spec, e);
    *why_not = e.why_not;
    *broken = e.broken;
    return e.backend;
  }

 private:
  struct Entry {
    Backend* backend = nullptr;
    std::unique_ptr<Backend> owned;
    std::string why_not;
    bool broken = false;
  };
  void build(const std::string& spec, Entry& e) {
    try {
      e.owned = registry_.make(spec);
    } catch (const std::exception& ex) {  // an unknown mutant: the case names a bug this build lacks
      e.why_not = ex.what();
      e.broken = true;
      return;
    }
    if (!e.owned) {
      e.why_not = fmt::format("backend '{}' is not registered", spec);
      e.broken = true;
      return;
    }
    if (const std::string why = unavailability(*e.owned); !why.empty()) {
      e.why_not = fmt::format("not available here: {}", why);
      e.owned.reset();
      return;
    }
    e.backend = e.owned.get();
  }

  const Registry& registry_;
  std::map<std::string, Entry> entries_;
};

bool is_kill_backend(const std::vector<ExpectedKill>& kills, const std::string& spec) {
  return std::any_of(kills.begin(), kills.end(), [&](const ExpectedKill& k) { return k.backend == spec; });
}

std::vector<std::string> subjects_of(const std::vector<Backend*>& backends) {
  std::vector<std::string> out;
  for (const Backend* b : backends) out.push_back(split_backend_spec(b->name()).first);
  return out;
}

struct StatusNames {
  ReplayResult::Status status;
  const char* label;  // the report's
  const char* key;    // JSON's
};
constexpr std::array<StatusNames, 8> kStatusNames{{
    {ReplayResult::Status::pass, "PASS", "pass"},
    {ReplayResult::Status::fail, "FAIL", "fail"},
    {ReplayResult::Status::unsupported, "unsupported", "unsupported"},
    {ReplayResult::Status::error, "ERROR", "error"},
    {ReplayResult::Status::killed, "killed", "killed"},
    {ReplayResult::Status::not_killed, "NOT killed", "not_killed"},
    {ReplayResult::Status::kill_skipped, "kill skipped", "kill_skipped"},
    {ReplayResult::Status::bad_file, "BAD FILE", "bad_file"},
}};

const StatusNames& names_of(ReplayResult::Status s) {
  for (const StatusNames& n : kStatusNames)
    if (n.status == s) return n;
  return kStatusNames[3];  // unreachable: every status has a row
}

}  // namespace

std::string one_line(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ';');
  return s;
}

std::string outcome_detail(const CaseOutcome& o) {
  using Status = CaseOutcome::Status;
  if (o.status == Status::pass) return "";
  if (o.status == Status::fail) {
    std::string reason = o.verdict && !o.verdict->pass ? o.verdict->summary() : o.message;
    return one_line(reason);
  }
  return one_line(o.message);
}

ReplayResult::Status replay_status_of(const CaseOutcome& o) {
  switch (o.status) {
    case CaseOutcome::Status::pass: return ReplayResult::Status::pass;
    case CaseOutcome::Status::fail: return ReplayResult::Status::fail;
    case CaseOutcome::Status::unsupported: return ReplayResult::Status::unsupported;
    case CaseOutcome::Status::error: return ReplayResult::Status::error;
  }
  return ReplayResult::Status::error;
}


std::string status_label(ReplayResult::Status s) { return names_of(s).label; }
std::string status_key(ReplayResult::Status s) { return names_of(s).key; }

ReplayRun replay_cases(const std::vector<std::string>& case_files, const std::vector<Backend*>& backends,
                       bool explicit_selection, const Registry& registry, const ReplayOptions& options,
                       const std::function<void(const ReplayResult&)>& on_result) {
  ReplayRun run;
  auto emit = [&](ReplayResult r) {
    if (on_result) on_result(r);
    run.results.push_back(std::move(r));
  };
  PlanOptions check_options;
  check_options.oracle_threads = options.oracle_threads;
  check_options.diagnose_limit = options.diagnose_limit;
  check_options.artifacts_dir = options.artifacts_dir;
  PlanOptions kill_options = check_options;
  kill_options.artifacts_dir.clear();  // an expected failure is no artifact: the case file is its record
  const std::vector<std::string> registered = registry.names();
  const std::vector<std::string> selected_subjects = subjects_of(backends);
  KillBackends kill_backends(registry, backends);
  std::map<std::string, BackendPlanState> states;
  auto state_of = [&](const std::string& spec) -> BackendPlanState& {
    return states.try_emplace(spec, BackendPlanState{options.diagnose_limit}).first->second;
  };

  for (const std::string& file : case_files) {
    LoadedCase loaded = load_case_for_replay(file);
    if (!loaded.c) {
      ReplayResult r;
      r.status = ReplayResult::Status::bad_file;
      r.file = file;
      r.detail = one_line(loaded.error);
      emit(std::move(r));
      continue;
    }
    ++run.cases;
    const AttentionCase& c = *loaded.c;
    const CaseNotes& notes = loaded.record->notes;
    LazyOracle oracle(c, oracle_options_for(c, options.oracle_threads));
    auto result_for = [&](const std::string& spec, CaseOutcome outcome) {
      ReplayResult r;
      r.status = replay_status_of(outcome);
      r.file = file;
      r.case_name = notes.name;
      r.backend = spec;
      r.detail = outcome_detail(outcome);
      r.replay = replay_command(spec, file);
      r.outcome = std::move(outcome);
      return r;
    };

    // A backend the case is known to kill is graded by its kill below, not expected to pass.
    for (Backend* b : backends) {
      if (is_kill_backend(notes.kills, b->name())) continue;
      emit(result_for(b->name(), check_case(*b, c, oracle, options.rules, state_of(b->name()), check_options)));
    }

    std::map<std::string, CaseOutcome> kill_outcomes;  // a backend listed twice runs once
    for (const ExpectedKill& kill : notes.kills) {
      ReplayResult r;
      r.file = file;
      r.case_name = notes.name;
      r.backend = kill.backend;
      r.kill = kill;
      const KillDecision decision =
          options.kills ? decide_kill(kill, registered, selected_subjects, explicit_selection)
                        : KillDecision{KillDecision::Action::not_selected, "expected kills not checked (--no-kills)"};
      std::string why_not;
      bool broken = false;
      Backend* b = decision.action == KillDecision::Action::check ? kill_backends.get(kill.backend, &why_not, &broken)
                                                                  : nullptr;
      if (!b) {
        // A mutant this build does not know means the corpus and the code disagree: an error.
        r.status = broken ? ReplayResult::Status::error : ReplayResult::Status::kill_skipped;
        r.detail = one_line(decision.action == KillDecision::Action::check ? why_not : decision.reason);
        emit(std::move(r));
        continue;
      }
      auto found = kill_outcomes.find(kill.backend);
      if (found == kill_outcomes.end())
        found = kill_outcomes
                    .emplace(kill.backend, check_case(*b, c, oracle, options.rules, state_of(kill.backend), kill_options))
                    .first;
      const KillJudgement judgement = judge_kill(kill, found->second);
      r.status = judgement.confirmed ? ReplayResult::Status::killed : ReplayResult::Status::not_killed;
      r.detail = one_line(judgement.detail);
      r.replay = replay_command(kill.backend, file);
      r.outcome = found->second;
      emit(std::move(r));
    }
    if (const OracleStats* s = oracle.stats()) run.oracle.add(*s, oracle.seconds());
  }
  return run;
}

}  // namespace flashcheck::cli
