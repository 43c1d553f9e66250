#include "cli/check_plan.hpp"

#include <exception>

#include "cli/artifacts.hpp"
#include "core/contract.hpp"
#include "verdict/contract_budget.hpp"

namespace flashcheck::cli {
namespace {

void note(CaseOutcome& out, const std::string& line) {
  if (!out.message.empty() && out.message.back() != '\n') out.message += '\n';
  out.message += line;
}

// Rerunning the subject: broken rules turn the outcome into a failure with their detail.
void check_rules(Backend& backend, const AttentionCase& c, const RunOutput& output, const OracleResult& oracle,
                 const Contract& contract, const PlanOptions& options, CaseOutcome& out) {
  AbsoluteRuleOptions rule_options;
  rule_options.masked_kv_may_be_read = !contract.masked_kv_unread;
  rule_options.budget = contract_budget_params(contract);
  rule_options.oracle = &oracle;
  rule_options.oracle_threads = options.oracle_threads;
  try {
    out.rules = check_absolute_rules(backend, c, output, rule_options);
  } catch (const std::exception& e) {
    out.status = CaseOutcome::Status::error;
    note(out, std::string("absolute rules failed to run: ") + e.what());
    return;
  }
  for (const RuleResult& r : out.rules) {
    if (r.holds) continue;
    out.status = CaseOutcome::Status::fail;
    note(out, "absolute rule broken: " + describe(r));
  }
}

const RuleResult* first_broken_rule(const CaseOutcome& out) {
  for (const RuleResult& r : out.rules)
    if (!r.holds) return &r;
  return nullptr;
}

void diagnose_failure(Backend& backend, const AttentionCase& c, const RunOutput& output, const OracleResult& oracle,
                      const Contract& contract, const PlanOptions& options, BackendPlanState& state,
                      CaseOutcome& out) {
  if (options.diagnose_limit <= 0) return;  // --diagnose 0: no diagnosis at all
  // A broken rule names its class by itself; no probe can say more (and it costs none:
  // only diagnose() runs count against the limit).
  if (const RuleResult* broken = first_broken_rule(out)) {
    Diagnosis d;
    d.bug_class = bug_class_of_rule(broken->rule);
    d.evidence.push_back(describe(*broken));
    out.diagnosis = std::move(d);
    return;
  }
  if (!out.verdict || out.verdict->pass || state.diagnoses_left <= 0) return;
  --state.diagnoses_left;
  DiagnosisOptions o;
  o.failing_output = &output;
  o.judge_with = [&contract](const AttentionCase& vc, const OracleResult& vo, const RunOutput& vout) {
    return judge(vc, vo, vout, contract);
  };
  o.masked_kv_may_be_read = !contract.masked_kv_unread;
  o.budget = contract_budget_params(contract);
  o.operands = contract.operands;
  o.accumulation = contract.accumulation;
  o.oracle_threads = options.oracle_threads;
  try {
    out.diagnosis = diagnose(backend, c, oracle, *out.verdict, o);
  } catch (const std::exception& e) {
    note(out, std::string("diagnosis failed: ") + e.what());
  }
}

std::string failure_reason(const CaseOutcome& out) {
  if (const RuleResult* broken = first_broken_rule(out)) return describe(*broken);
  if (out.verdict && !out.verdict->pass) return out.verdict->summary();
  return out.message;
}

// What follows an evaluation: rules, diagnosis of a failure, the failing case saved.
void grade_evaluated(Backend& backend, const AttentionCase& c, const RunOutput& output, LazyOracle& lazy_oracle,
                     bool rules, BackendPlanState& state, const PlanOptions& options, CaseOutcome& out) {
  if (out.verdict) {  // the subject ran and was judged, so the oracle is there
    const Contract& contract = contract_named(out.contract);
    const OracleResult& oracle = lazy_oracle.get();
    if (rules) check_rules(backend, c, output, oracle, contract, options, out);
    if (out.status == CaseOutcome::Status::fail)
      diagnose_failure(backend, c, output, oracle, contract, options, state, out);
  }
  if (out.is_failure() && !options.artifacts_dir.empty()) {
    try {
      out.artifact = save_failure_artifact(options.artifacts_dir, out.backend, c, failure_reason(out));
    } catch (const std::exception& e) {
      note(out, std::string("failing case not saved: ") + e.what());
    }
  }
}

}  // namespace

PreparedCase& CaseCache::prepare(const MatrixEntry& entry) {
  auto& slot = cases_[{entry.family, entry.recipe.seed}];
  if (slot) return *slot;
  slot = std::make_unique<PreparedCase>();
  try {
    slot->c = generate(entry.recipe);
    slot->oracle = std::make_unique<LazyOracle>(*slot->c, oracle_options_for(*slot->c, oracle_threads_));
  } catch (const std::exception& e) {
    slot->c.reset();
    slot->generation_error = e.what();
  }
  return *slot;
}

void CaseCache::done_with(const MatrixEntry& entry) {
  if (!keep_cases_) cases_.erase({entry.family, entry.recipe.seed});
}

std::string bug_class_of_rule(const std::string& rule) {
  if (rule == kRuleMaskedKeys) return "masked-key-leak";
  if (rule == kRuleRerun) return "nondeterminism";
  if (rule == kRuleThreads) return "thread-dependence";
  return "";
}

CaseOutcome check_entry(Backend& backend, const MatrixEntry& entry, PreparedCase& prepared,
                        BackendPlanState& state, const PlanOptions& options) {
  if (!prepared.c) return generation_error(backend.name(), entry.family, entry.recipe, prepared.generation_error);
  RunOutput output;
  CaseOutcome out = evaluate_case(backend, entry.family, entry.recipe, *prepared.c, *prepared.oracle, &output);
  grade_evaluated(backend, *prepared.c, output, *prepared.oracle, entry.rules, state, options, out);
  return out;
}

CaseOutcome check_case(Backend& backend, const AttentionCase& c, LazyOracle& oracle, bool rules,
                       BackendPlanState& state, const PlanOptions& options) {
  RunOutput output;
  CaseOutcome out = evaluate_case(backend, c, oracle, &output);
  grade_evaluated(backend, c, output, oracle, rules, state, options, out);
  return out;
}

std::vector<CaseOutcome> run_plan(const std::vector<Backend*>& backends, const std::vector<MatrixEntry>& plan,
                                  CaseCache& cache, const PlanOptions& options, OracleTotals* totals,
                                  const PlanCallbacks& callbacks) {
  std::vector<BackendPlanState> states(backends.size(), BackendPlanState{options.diagnose_limit});
  std::vector<CaseOutcome> outcomes;
  for (size_t index = 0; index < plan.size(); ++index) {
    const MatrixEntry& entry = plan[index];
    if (callbacks.on_case) callbacks.on_case(index, entry);
    PreparedCase& prepared = cache.prepare(entry);
    for (size_t k = 0; k < backends.size(); ++k) {
      outcomes.push_back(check_entry(*backends[k], entry, prepared, states[k], options));
      if (callbacks.on_outcome) callbacks.on_outcome(index, outcomes.back());
    }
    if (totals && prepared.oracle && !prepared.oracle_counted)
      if (const OracleStats* s = prepared.oracle->stats()) {
        totals->add(*s, prepared.oracle->seconds());
        prepared.oracle_counted = true;
      }
    cache.done_with(entry);
  }
  return outcomes;
}

}  // namespace flashcheck::cli
