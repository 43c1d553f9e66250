#pragma once
// The verdict: absolute rules, the contract's fully masked row policy and LSE base,
// then every element against the contract's error budget (verdict/contract_budget.hpp;
// derivations in docs/tolerance.md).
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/contract.hpp"
#include "core/metrics.hpp"
#include "oracle/attention_oracle.hpp"

namespace flashcheck {

// The analytic bound's free constants, stated once (see docs/tolerance.md for why these values).
struct BudgetParams {
  double safety = 2.0;      // multiplies the first-order bound
  double output_ulps = 1.0; // allowance for the kernel's own final rounding, in O-dtype ulps
  double exp_ulps = 4.0;    // accuracy assumed of the kernel's exp, in ulps of the precision
  DType precision = DType::f32;  // the arithmetic the kernel does (u and the underflow unit)
  // What Q, K, P and V are rounded to before the two products; f32 rounds no input
  // (every storage dtype is exact in f32), a narrower type adds its rounding.
  DType operands = DType::f32;
};

// The analytic bound's terms for one O element (docs/tolerance.md section 4): what the
// score, exp and weight errors give (first order, independent of the row length), the
// accumulation of n terms (the worst case, linear in n), the final division, the
// subnormal range's absolute error, and one ulp of the output dtype at |O|.
struct OBudgetTerms {
  double weights = 0, accumulation = 0, division = 0, underflow = 0, output_ulp = 0;
};
struct LseBudgetTerms {
  double weights = 0, accumulation = 0, output_ulp = 0;
};
OBudgetTerms o_budget_terms(const AttentionCase& c, const OracleResult& r, int64_t row, int64_t col,
                            const BudgetParams& p);
LseBudgetTerms lse_budget_terms(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p);

// Analytic per-element bound for |O_kernel - O_exact| of a kernel working in p.precision
// (+inf where the bound does not exist).
double o_budget(const AttentionCase& c, const OracleResult& r, int64_t row, int64_t col, const BudgetParams& p);
// Analytic bound for |LSE_kernel - LSE_exact| of row (natural log).
double lse_budget(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p);

struct Mismatch {
  std::string what;  // "O" or "LSE"
  int64_t b = 0, h = 0, i = 0, col = 0;
  double got = 0, expected = 0, exact = 0, budget = 0;
  std::string describe() const;  // decimal and %a forms
};

struct Verdict {
  bool pass = true;
  std::string contract = "fp32";           // the contract it was judged under
  std::vector<std::string> rule_failures;  // absolute rules broken, one line each
  ErrorMetrics o_metrics;
  bool has_lse = false;
  ErrorMetrics lse_metrics;
  double worst_budget_ratio = 0;  // max over elements of error / budget (> 1 fails)
  std::vector<Mismatch> worst;    // the worst few elements, for the report
  // Elements the contract cannot promise: the oracle is finite but the contract
  // reference itself overflows there (e.g. fp16 accumulation of large V). Not judged.
  int64_t beyond_contract_range = 0;
  // The contract reference's own NMSE against the oracle, beside the kernel's (o_metrics.nmse).
  double reference_o_nmse = 0;
  std::string summary() const;    // one line: pass/fail and the reason
};

// The oracle must have been computed with the default fully masked policy (O = 0, LSE = -inf);
// the contract's own policy is applied here.
Verdict judge(const AttentionCase& c, const OracleResult& oracle, const RunOutput& out,
              const Contract& contract = default_contract());

}  // namespace flashcheck
