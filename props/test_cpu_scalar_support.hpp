#pragma once
// Shared by the cpu-scalar suites: building a cpu-scalar backend by spec from a registry
// that holds only this folder's subjects, and grading it on a case against the oracle.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/case_evaluation.hpp"
#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/cpu_scalar/register_cpu_scalar.hpp"

namespace flashcheck::cpu_scalar_testing {

inline const Registry& scalar_registry() {
  static const Registry r = [] {
    Registry reg;
    register_cpu_scalar_backends(reg);
    return reg;
  }();
  return r;
}

inline std::unique_ptr<Backend> make_scalar(const std::string& spec) {
  auto b = scalar_registry().make(spec);
  if (!b) throw std::invalid_argument("no cpu-scalar backend named " + spec);
  return b;
}

// A generated case with its (lazily computed, shared) oracle.
struct GradedCase {
  CaseRecipe recipe;
  AttentionCase c;
  cli::LazyOracle oracle;
  explicit GradedCase(const CaseRecipe& r)
      : recipe(r), c(generate(r)), oracle(c, cli::oracle_options_for(c, 0)) {}
  GradedCase(const GradedCase&) = delete;
  GradedCase& operator=(const GradedCase&) = delete;

  cli::CaseOutcome grade(const std::string& spec) {
    auto b = make_scalar(spec);
    return cli::evaluate_case(*b, c.family, recipe, c, oracle);
  }
};

// Why an outcome is what it is, with the worst mismatches (decimal and %a).
inline std::string explain(const cli::CaseOutcome& o) {
  std::string s = o.backend + " on " + describe(o.recipe) + ": " + cli::status_name(o.status);
  if (!o.message.empty()) s += " (" + o.message + ")";
  if (o.verdict) {
    s += "\n  " + o.verdict->summary();
    for (const std::string& rule : o.verdict->rule_failures) s += "\n  rule: " + rule;
    for (const Mismatch& m : o.verdict->worst) s += "\n  " + m.describe();
  }
  return s;
}

}  // namespace flashcheck::cpu_scalar_testing
