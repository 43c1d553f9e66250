#pragma once
// The first verdict: absolute rules plus an error budget derived from fp32
// accumulation (derivation in docs/tolerance.md). The full contract engine
// (contracts, drift, diagnosis) grows from here.
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/metrics.hpp"
#include "oracle/attention_oracle.hpp"

namespace flashcheck {

// The budget's free constants, stated once (see docs/tolerance.md for why these values).
struct BudgetParams {
  double safety = 2.0;      // k: multiplies the first-order fp32 bound
  double output_ulps = 1.0; // allowance for the kernel's own final rounding, in O-dtype ulps
  double exp_ulps = 4.0;    // accuracy assumed of the kernel's expf, in f32 ulps
};

// Per-element budget for |O_kernel - O_exact| of a kernel accumulating in fp32.
double o_budget(const AttentionCase& c, const OracleResult& r, int64_t row, int64_t col, const BudgetParams& p);
// Budget for |LSE_kernel - LSE_exact| of row.
double lse_budget(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p);

struct Mismatch {
  std::string what;  // "O" or "LSE"
  int64_t b = 0, h = 0, i = 0, col = 0;
  double got = 0, expected = 0, exact = 0, budget = 0;
  std::string describe() const;  // decimal and %a forms
};

struct Verdict {
  bool pass = true;
  std::vector<std::string> rule_failures;  // absolute rules broken, one line each
  ErrorMetrics o_metrics;
  bool has_lse = false;
  ErrorMetrics lse_metrics;
  double worst_budget_ratio = 0;  // max over elements of error / budget (> 1 fails)
  std::vector<Mismatch> worst;    // the worst few elements, for the report
  std::string summary() const;    // one line: pass/fail and the reason
};

Verdict judge(const AttentionCase& c, const OracleResult& oracle, const RunOutput& out, const BudgetParams& p = {});

}  // namespace flashcheck
