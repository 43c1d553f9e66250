#pragma once
// The error budget of a case under a contract (docs/tolerance.md, "Contracts"):
//
//   budget = min( analytic bound at the contract's precision,
//                 k * (reference error + first-order weight error) + m ulps of O )
//
// The reference error is what the contract reference (the textbook kernel doing the
// contract's arithmetic on the same inputs) gets wrong, per element but never less than
// its row's RMS relative error times the element's V scale, so one lucky exact element
// does not make a zero budget. k and m are the contract's reference_factor and output_ulps.
#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/contract.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {

// The analytic bound's parameters for the contract's arithmetic (accumulation precision,
// operand roundings): also what two runs of one kernel must agree within.
BudgetParams contract_budget_params(const Contract& contract);

class ContractBudget {
 public:
  // Runs the contract reference on the case (its cost is one textbook pass).
  ContractBudget(const AttentionCase& c, const OracleResult& oracle, const Contract& contract);

  double o(int64_t row, int64_t col) const;  // |O_kernel - O_exact| allowed
  double lse(int64_t row) const;             // |LSE_kernel - LSE_exact| allowed, natural log
  // Whether the oracle is finite but the contract's arithmetic cannot promise a finite
  // result: its reference overflows, or the accumulator bound n max|v| (l <= n for the
  // LSE) exceeds the accumulation format (fp16 accumulation of large V).
  bool o_beyond_range(int64_t row, int64_t col) const;
  bool lse_beyond_range(int64_t row) const;

  const RunOutput& reference() const { return reference_; }
  const Contract& contract() const { return contract_; }

 private:
  double reference_o_error(int64_t row, int64_t col) const;
  double accumulation_max() const;
  double operand_unit() const;  // u of the operand type, 0 for f32 (no rounding of P)

  const AttentionCase& case_;
  const OracleResult& oracle_;
  const Contract& contract_;
  RunOutput reference_;
  std::vector<double> row_relative_rms_;
  std::vector<double> weighted_v_rms_;  // per element: sqrt(sum (p v)^2) / l of the reference  // per row: RMS over columns of |ref - exact| / v_scale
};

}  // namespace flashcheck
