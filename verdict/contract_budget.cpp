// Budgets from a contract: the analytic bound caps them, the contract reference's
// realized error (times k) sets them. Derivation and the choice of k, m in docs/tolerance.md.
#include "verdict/contract_budget.hpp"

#include <algorithm>
#include <cmath>

#include "verdict/contract_reference.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {


// The first-order terms beside the reference's error leave out the rounding of the
// inputs to the operand type: every kernel of the contract rounds the same Q, K, V and mask
// the same way, and the reference does too, so their effect is inside its measured error.
// P's rounding is not: a kernel's weights are relative to its own running maxima and
// differ from the reference's, so their roundings are independent of the reference's.
// A sum of independent roundings is a random walk: u_op sqrt(sum (p v)^2) / l per element
// (p_rounding below; times k it is several standard deviations).
BudgetParams first_order_params(const Contract& k) {
  BudgetParams p = contract_budget_params(k);
  p.operands = DType::f32;
  return p;
}

}  // namespace

BudgetParams contract_budget_params(const Contract& k) {
  BudgetParams p;
  p.precision = k.accumulation;
  p.operands = k.operands;
  return p;
}

ContractBudget::ContractBudget(const AttentionCase& c, const OracleResult& oracle, const Contract& contract)
    : case_(c), oracle_(oracle), contract_(contract) {
  reference_ = contract_reference(c, contract.operands, contract.accumulation, &weighted_v_rms_);
  const auto& s = c.shape;
  const int64_t rows = s.batch * s.hq * s.lq;
  row_relative_rms_.assign(static_cast<size_t>(rows), 0.0);
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
    double sum = 0;
    int64_t n = 0;
    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const double err = std::fabs(reference_.o.get(b, h, i, col) - oracle.o_exact[e]);
      const double scale = oracle.v_scale[e];
      if (!std::isfinite(err) || !(scale > 0.0)) continue;
      sum += (err / scale) * (err / scale);
      ++n;
    }
    row_relative_rms_[static_cast<size_t>(row)] = n > 0 ? std::sqrt(sum / static_cast<double>(n)) : 0.0;
  }
}

double ContractBudget::reference_o_error(int64_t row, int64_t col) const {
  const auto& s = case_.shape;
  const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
  const auto e = static_cast<size_t>(row * s.dv + col);
  const double own = std::fabs(reference_.o.get(b, h, i, col) - oracle_.o_exact[e]);
  return std::max(own, row_relative_rms_[static_cast<size_t>(row)] * oracle_.v_scale[e]);
}

double ContractBudget::o(int64_t row, int64_t col) const {
  const double analytic = o_budget(case_, oracle_, row, col, contract_budget_params(contract_));
  const OBudgetTerms t = o_budget_terms(case_, oracle_, row, col, first_order_params(contract_));
  const double first_order = t.weights + t.division + t.underflow;
  const auto e = static_cast<size_t>(row * case_.shape.dv + col);
  const double p_rounding = operand_unit() * weighted_v_rms_[e];
  const double from_reference = contract_.reference_factor * (reference_o_error(row, col) + first_order + p_rounding) +
                                contract_.output_ulps * t.output_ulp;
  return std::min(analytic, from_reference);
}

double ContractBudget::lse(int64_t row) const {
  const double analytic = lse_budget(case_, oracle_, row, contract_budget_params(contract_));
  const LseBudgetTerms t = lse_budget_terms(case_, oracle_, row, first_order_params(contract_));
  const auto r = static_cast<size_t>(row);
  const double own = std::fabs(static_cast<double>(reference_.lse[r]) - oracle_.lse_exact[r]);
  const double from_reference = contract_.reference_factor * (own + t.weights) + contract_.output_ulps * t.output_ulp;
  return std::min(analytic, from_reference);
}

// Whatever the order of the sums, the online-softmax accumulator stays within
// n max|v| (each weight is at most 1 against the running maximum) and l within n. A
// contract whose accumulation format cannot hold that bound (fp16 with large V) cannot
// promise a finite result; nor can one whose reference itself overflows.
bool ContractBudget::o_beyond_range(int64_t row, int64_t col) const {
  const auto& s = case_.shape;
  const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
  const auto e = static_cast<size_t>(row * s.dv + col);
  if (!std::isfinite(oracle_.o_exact[e])) return false;
  const double n = static_cast<double>(oracle_.visible_keys[static_cast<size_t>(row)] + (case_.has_sinks() ? 1 : 0));
  return !std::isfinite(reference_.o.get(b, h, i, col)) || n * oracle_.v_scale[e] > accumulation_max();
}

bool ContractBudget::lse_beyond_range(int64_t row) const {
  const auto r = static_cast<size_t>(row);
  if (!std::isfinite(oracle_.lse_exact[r])) return false;
  const double n = static_cast<double>(oracle_.visible_keys[r] + (case_.has_sinks() ? 1 : 0));
  return !std::isfinite(reference_.lse[r]) || n > accumulation_max();
}

double ContractBudget::operand_unit() const {
  return contract_.operands == DType::f32 ? 0.0 : std::ldexp(1.0, -traits(contract_.operands).format.precision);
}

double ContractBudget::accumulation_max() const { return traits(contract_.accumulation).format.max_finite(); }

}  // namespace flashcheck
