#include "cli/case_evaluation.hpp"

#include "core/contract.hpp"

#include <chrono>
#include <exception>
#include <stdexcept>

#include "cli/recipe_flags.hpp"

namespace flashcheck::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

CaseRecipe recipe_describing(const AttentionCase& c) {
  CaseRecipe r;
  r.shape = c.shape;
  r.q_type = c.q_type;
  r.k_type = c.k_type;
  r.v_type = c.v_type;
  r.o_type = c.o_type;
  const auto slash = c.family.find('/');
  const std::string dist = c.family.substr(0, slash);
  const std::string mask = slash == std::string::npos ? "" : c.family.substr(slash + 1);
  const bool generated = find_distribution(dist) && find_mask_pattern(mask);
  r.distribution = generated ? dist : c.family;
  r.mask = generated ? mask : to_string(c.mask_kind);
  r.window = c.window;
  r.scale = c.scale;
  r.max_bias = c.max_bias;
  r.softcap = c.softcap;
  r.sinks = c.has_sinks();
  for (const std::string& name : layout_names()) {  // the layout whose strides Q has (Q is the small tensor)
    const auto layout = parse_layout(name);
    if (layout && Tensor::make(c.q.dtype, c.q.shape, *layout).strides == c.q.strides) {
      r.layout = *layout;
      break;
    }
  }
  if (c.k_quant) r.k_quant = c.k_quant->scheme;
  if (c.v_quant) r.v_quant = c.v_quant->scheme;
  if (c.has_quantized_kv()) r.kv_layout = c.k_quant ? c.k_quant->layout : c.v_quant->layout;
  r.hadamard = c.k_quant && c.k_quant->hadamard;
  r.seed = c.seed;
  return r;
}


const OracleResult& LazyOracle::get() {
  if (result_) return *result_;
  if (error_) throw std::runtime_error(*error_);
  const auto start = std::chrono::steady_clock::now();
  try {
    result_ = run_oracle(case_, opts_);
  } catch (const std::exception& e) {
    error_ = std::string("oracle failed: ") + e.what();
  }
  seconds_ = seconds_since(start);
  if (error_) throw std::runtime_error(*error_);
  return *result_;
}

const OracleResult& LazyOracle::source() {
  if (source_result_) return *source_result_;
  if (source_error_) throw std::runtime_error(*source_error_);
  const auto start = std::chrono::steady_clock::now();
  try {
    source_case_ = without_quantization(case_);
    source_result_ = run_oracle(*source_case_, opts_);
  } catch (const std::exception& e) {
    source_error_ = std::string("oracle of the unquantized case failed: ") + e.what();
  }
  seconds_ += seconds_since(start);
  if (source_error_) throw std::runtime_error(*source_error_);
  return *source_result_;
}

std::string status_name(CaseOutcome::Status s) {
  switch (s) {
    case CaseOutcome::Status::pass: return "pass";
    case CaseOutcome::Status::fail: return "fail";
    case CaseOutcome::Status::unsupported: return "unsupported";
    case CaseOutcome::Status::error: return "error";
  }
  return "?";
}

void OracleTotals::add(const OracleStats& s, double run_seconds) {
  ++cases;
  stats.rows += s.rows;
  stats.elements += s.elements;
  stats.escalated_elements += s.escalated_elements;
  stats.exact_path_elements += s.exact_path_elements;
  stats.unresolved_elements += s.unresolved_elements;
  seconds += run_seconds;
}

OracleOptions oracle_options_for(const AttentionCase& c, int threads) {
  OracleOptions opts;
  opts.out_type = c.o_type;
  opts.threads = threads;
  return opts;
}

CaseOutcome evaluate_case(Backend& backend, const std::string& family, const CaseRecipe& recipe,
                          const AttentionCase& c, LazyOracle& oracle, RunOutput* kept_output) {
  CaseOutcome out;
  out.backend = backend.name();
  out.family = family;
  out.recipe = recipe;

  const Contract& contract = contract_named(backend.capabilities().contract);
  out.contract = std::string(contract.name);
  if (const auto why = outside_contract(contract, c)) {
    out.status = CaseOutcome::Status::unsupported;
    out.message = *why;
    return out;
  }
  const auto start = std::chrono::steady_clock::now();
  RunResult run = run_checked(backend, c);
  out.backend_seconds = seconds_since(start);
  if (run.status == RunResult::Status::unsupported) {
    out.status = CaseOutcome::Status::unsupported;
    out.message = run.message;
    return out;
  }
  if (run.status == RunResult::Status::error) {
    out.status = CaseOutcome::Status::error;
    out.fault = fault_name(run.fault);
    out.message = out.fault.empty() ? "backend error: " + run.message : run.message;
    return out;
  }

  const bool first_use = !oracle.computed();
  try {
    const OracleResult& expected = oracle.get();
    out.oracle_stats = expected.stats;
    // Each subject is graded under the contract it declares (core/contract.hpp).
    out.verdict = judge(c, expected, run.output, contract);
    if (c.has_quantized_kv()) out.quantization = split_quantization_error(c, expected, oracle.source(), run.output);
  } catch (const std::exception& e) {
    out.status = CaseOutcome::Status::error;
    out.message = e.what();
    return out;
  }
  if (first_use) out.oracle_seconds = oracle.seconds();
  out.status = out.verdict->pass ? CaseOutcome::Status::pass : CaseOutcome::Status::fail;
  if (kept_output) *kept_output = std::move(run.output);
  return out;
}

CaseOutcome evaluate_case(Backend& backend, const AttentionCase& c, LazyOracle& oracle, RunOutput* kept_output) {
  return evaluate_case(backend, c.family, recipe_describing(c), c, oracle, kept_output);
}

CaseOutcome generation_error(const std::string& backend, const std::string& family, const CaseRecipe& recipe,
                             const std::string& what) {
  CaseOutcome out;
  out.backend = backend;
  out.family = family;
  out.recipe = recipe;
  out.status = CaseOutcome::Status::error;
  out.message = "case generation failed: " + what;
  return out;
}

}  // namespace flashcheck::cli
