#pragma once
// Shared by the cpu_simd suites: building a vectorised subject by spec, grading it on
// one case against the oracle, and the failure text (decimal and %a forms).
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "cli/case_evaluation.hpp"
#include "cli/report_text.hpp"
#include "core/generator.hpp"
#include "impls/cpu_simd/register_cpu_simd.hpp"

namespace flashcheck::simd_testing {

inline const Registry& simd_registry() {
  static const Registry registry = [] {
    Registry r;
    register_cpu_simd_backends(r);
    return r;
  }();
  return registry;
}

// "subject" or "subject@mutant".
inline std::unique_ptr<Backend> make_subject(const std::string& spec) {
  auto b = simd_registry().make(spec);
  if (!b) throw std::invalid_argument("no vectorised subject " + spec);
  return b;
}

// Why the backend cannot run here, or "" when it can.
inline std::string unavailable_reason(const Backend& b) {
  std::string why;
  return b.available(&why) ? std::string() : (why.empty() ? "unavailable" : why);
}

inline cli::CaseOutcome grade(Backend& b, const CaseRecipe& recipe, const std::string& family = "cpu_simd test") {
  const AttentionCase c = generate(recipe);
  cli::LazyOracle oracle(c, cli::oracle_options_for(c, 1));
  return cli::evaluate_case(b, family, recipe, c, oracle);
}

inline std::string explain(const cli::CaseOutcome& out) {
  return out.status == cli::CaseOutcome::Status::pass ? cli::format_case_details(out) : cli::format_failure(out);
}

}  // namespace flashcheck::simd_testing
