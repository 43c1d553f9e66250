// Analytic error bounds of a kernel that scores, exponentiates and accumulates in one
// precision (fp32 by default). Every term is derived in docs/tolerance.md; the names
// below follow it.
#include <cmath>
#include <limits>
#include <fmt/format.h>
#include <stdexcept>

#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// u: the unit roundoff of the precision (2^-24 for fp32).
double unit_roundoff(const BudgetParams& p) { return std::ldexp(1.0, -traits(p.precision).format.precision); }
// The relative error of rounding an input to the operand type: none for f32.
double operand_roundoff(const BudgetParams& p) {
  return p.operands == DType::f32 ? 0.0 : std::ldexp(1.0, -traits(p.operands).format.precision);
}
// lambda: the absolute error of a result that falls into the subnormal range (half the
// smallest subnormal; 2^-150 for fp32).
double underflow_unit(const BudgetParams& p) { return traits(p.precision).format.min_subnormal() / 2.0; }

// Higham's gamma_m = m u / (1 - m u): the relative bound of m chained roundings. It
// does not exist once m u >= 1 (a dot product too long for the precision, e.g. fp16
// with D >= 2046): the bound is then vacuous (infinite).
double gamma(double m, double u) {
  const double mu = m * u;
  return mu >= 1.0 ? kInf : mu / (1.0 - mu);
}

size_t checked_index(const std::vector<double>& v, int64_t i, const char* name) {
  if (i < 0 || static_cast<size_t>(i) >= v.size())
    throw std::out_of_range(fmt::format("oracle {} has no element {} (size {})", name, i, v.size()));
  return static_cast<size_t>(i);
}

double row_value(const std::vector<double>& v, int64_t row, const char* name) { return v[checked_index(v, row, name)]; }

// eta: bound on the absolute error of every computed score of the row.
double score_error(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  const double u = unit_roundoff(p);
  const double dot_scale = row_value(r.score_abs_max, row, "score_abs_max");
  const double max_abs = row_value(r.max_abs_score, row, "max_abs_score");
  double eta = gamma(static_cast<double>(c.shape.dk + 2), u) * dot_scale;  // dot product, then * scale
  eta += 2.0 * operand_roundoff(p) * dot_scale;                            // Q and K rounded to the operands
  eta += operand_roundoff(p) * (max_abs + dot_scale);  // the mask too: |bias| <= |s| + |s before bias|
  if (c.softcap > 0.0f) eta += 4.0 * u * max_abs;                       // / cap, tanhf, * cap
  eta += u * max_abs;                                                   // + slope * bias
  // Under ALiBi the product slope * bias is rounded too; |slope * bias| <= |s| + |s before bias|.
  if (c.uses_alibi()) eta += u * (max_abs + dot_scale);
  // With Hadamard-rotated K the kernel rotates Q itself: each rotated element is a sum of
  // 32 terms +-q / sqrt(32), off by at most gamma_31 |q_blk|_1 / sqrt(32) in any order,
  // plus the constant's and the product's roundings and the oracle Q's own f32 rounding.
  if (c.rotated_q) eta += gamma(34.0, u) * row_value(r.rotation_dot_scale, row, "rotation_dot_scale");
  return eta;
}

// W: relative error of each softmax weight apart from the rounding of its exp argument.
// P and V rounded to the operand type for the P V product add one rounding each.
double weight_error(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  return score_error(c, r, row, p) + p.exp_ulps * unit_roundoff(p) + 2.0 * operand_roundoff(p);
}

double term_count(const AttentionCase& c, const OracleResult& r, int64_t row) {
  if (row < 0 || static_cast<size_t>(row) >= r.visible_keys.size())
    throw std::out_of_range(fmt::format("oracle visible_keys has no row {}", row));
  return static_cast<double>(r.visible_keys[static_cast<size_t>(row)] + (c.has_sinks() ? 1 : 0));
}

// ((3 + e) n + 2) u: accumulation of numerator and denominator with one rescale per
// term at worst, plus the final division. A sink is one more rescaled term.
double accumulation_error(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  return ((3.0 + p.exp_ulps) * term_count(c, r, row) + 2.0) * unit_roundoff(p);
}

// Absolute error of results that fall into fp32's subnormal range, where rounding is
// not relative: per term the exp (times |v|), the product p v and the rescale
// acc * alpha (alpha's own underflow times |acc| <= n S), then the final division.
double underflow_error(const AttentionCase& c, const OracleResult& r, int64_t row, double v_scale,
                       const BudgetParams& p) {
  const double n = term_count(c, r, row);
  return underflow_unit(p) * (n * (2.0 + (n + 1.0) * v_scale) + 1.0);
}

// A budget built from NaN oracle quantities would blame the subject for a harness fault.
// +inf is a vacuous bound (gamma beyond its range), which the contract budget replaces.
double require_finite(double budget, const char* what, int64_t row, int64_t col) {
  if (std::isnan(budget) || budget < 0)
    throw std::runtime_error(fmt::format("cannot form the {} budget of row {} col {}: the oracle's budget quantities "
                                         "are not finite (budget {})",
                                         what, row, col, budget));
  return budget;
}

}  // namespace

OBudgetTerms o_budget_terms(const AttentionCase& c, const OracleResult& r, int64_t row, int64_t col,
                            const BudgetParams& p) {
  const double u = unit_roundoff(p);
  const int64_t idx = row * c.shape.dv + col;
  const double A = row_value(r.abs_weighted_v, idx, "abs_weighted_v");
  const double O = std::fabs(row_value(r.o_exact, idx, "o_exact"));
  const double S = row_value(r.v_scale, idx, "v_scale");
  const double spread = row_value(r.score_spread, row, "score_spread");
  OBudgetTerms t;
  t.weights = weight_error(c, r, row, p) * (A + O) + u * spread * (S + O);
  t.accumulation = accumulation_error(c, r, row, p) * (A + O);
  t.division = u * O;
  t.underflow = underflow_error(c, r, row, S, p);
  t.output_ulp = traits(c.o_type).format.ulp(O);
  return t;
}

double o_budget(const AttentionCase& c, const OracleResult& r, int64_t row, int64_t col, const BudgetParams& p) {
  const OBudgetTerms t = o_budget_terms(c, r, row, col, p);
  return require_finite(p.safety * (t.weights + t.accumulation + t.division + t.underflow) + p.output_ulps * t.output_ulp,
                        "O", row, col);
}

LseBudgetTerms lse_budget_terms(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  const double u = unit_roundoff(p);
  const double lse = std::fabs(row_value(r.lse_exact, row, "lse_exact"));
  const double spread = row_value(r.score_spread, row, "score_spread");
  LseBudgetTerms t;
  // log turns the denominator's relative error into an absolute one; logf and m + log l add 2u |LSE|.
  t.weights = weight_error(c, r, row, p) + u * spread + 2.0 * u * lse;
  t.accumulation = accumulation_error(c, r, row, p);
  t.output_ulp = kFormatF32.ulp(lse);
  return t;
}

double lse_budget(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  const LseBudgetTerms t = lse_budget_terms(c, r, row, p);
  return require_finite(p.safety * (t.weights + t.accumulation) + p.output_ulps * t.output_ulp, "LSE", row, 0);
}

}  // namespace flashcheck
