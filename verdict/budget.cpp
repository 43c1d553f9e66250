// Error budgets of a kernel that scores, exponentiates and accumulates in fp32.
// Every term is derived in docs/tolerance.md; the names below follow it.
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

constexpr double kUnitRoundoff = 0x1p-24;  // u of fp32
constexpr double kUnderflowUnit = 0x1p-150; // lambda: the absolute error of an fp32 result that is subnormal

// Higham's gamma_m = m u / (1 - m u): the relative bound of m chained fp32 roundings.
double gamma(double m) {
  const double mu = m * kUnitRoundoff;
  if (mu >= 1.0) throw std::invalid_argument(fmt::format("gamma({}) is undefined: the dot product is too long for fp32", m));
  return mu / (1.0 - mu);
}

size_t checked_index(const std::vector<double>& v, int64_t i, const char* name) {
  if (i < 0 || static_cast<size_t>(i) >= v.size())
    throw std::out_of_range(fmt::format("oracle {} has no element {} (size {})", name, i, v.size()));
  return static_cast<size_t>(i);
}

double row_value(const std::vector<double>& v, int64_t row, const char* name) { return v[checked_index(v, row, name)]; }

// eta: bound on the absolute error of every computed score of the row.
double score_error(const AttentionCase& c, const OracleResult& r, int64_t row) {
  const double u = kUnitRoundoff;
  const double dot_scale = row_value(r.score_abs_max, row, "score_abs_max");
  const double max_abs = row_value(r.max_abs_score, row, "max_abs_score");
  double eta = gamma(static_cast<double>(c.shape.dk + 2)) * dot_scale;  // dot product, then * scale
  if (c.softcap > 0.0f) eta += 4.0 * u * max_abs;                       // / cap, tanhf, * cap
  eta += u * max_abs;                                                   // + slope * bias
  // Under ALiBi the product slope * bias is rounded too; |slope * bias| <= |s| + |s before bias|.
  if (c.uses_alibi()) eta += u * (max_abs + dot_scale);
  // With Hadamard-rotated K the kernel rotates Q itself: each rotated element is a sum of
  // 32 terms +-q / sqrt(32), off by at most gamma_31 |q_blk|_1 / sqrt(32) in any order,
  // plus the constant's and the product's roundings and the oracle Q's own f32 rounding.
  if (c.rotated_q) eta += gamma(34.0) * row_value(r.rotation_dot_scale, row, "rotation_dot_scale");
  return eta;
}

// W: relative error of each softmax weight apart from the rounding of its exp argument.
double weight_error(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  return score_error(c, r, row) + p.exp_ulps * kUnitRoundoff;
}

double term_count(const AttentionCase& c, const OracleResult& r, int64_t row) {
  if (row < 0 || static_cast<size_t>(row) >= r.visible_keys.size())
    throw std::out_of_range(fmt::format("oracle visible_keys has no row {}", row));
  return static_cast<double>(r.visible_keys[static_cast<size_t>(row)] + (c.has_sinks() ? 1 : 0));
}

// ((3 + e) n + 2) u: accumulation of numerator and denominator with one rescale per
// term at worst, plus the final division. A sink is one more rescaled term.
double accumulation_error(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  return ((3.0 + p.exp_ulps) * term_count(c, r, row) + 2.0) * kUnitRoundoff;
}

// Absolute error of results that fall into fp32's subnormal range, where rounding is
// not relative: per term the exp (times |v|), the product p v and the rescale
// acc * alpha (alpha's own underflow times |acc| <= n S), then the final division.
double underflow_error(const AttentionCase& c, const OracleResult& r, int64_t row, double v_scale) {
  const double n = term_count(c, r, row);
  return kUnderflowUnit * (n * (2.0 + (n + 1.0) * v_scale) + 1.0);
}

// A budget built from non-finite oracle quantities would blame the subject for a harness fault.
double require_finite(double budget, const char* what, int64_t row, int64_t col) {
  if (!std::isfinite(budget) || budget < 0)
    throw std::runtime_error(fmt::format("cannot form the {} budget of row {} col {}: the oracle's budget quantities "
                                         "are not finite (budget {})",
                                         what, row, col, budget));
  return budget;
}

}  // namespace

double o_budget(const AttentionCase& c, const OracleResult& r, int64_t row, int64_t col, const BudgetParams& p) {
  const double u = kUnitRoundoff;
  const int64_t idx = row * c.shape.dv + col;
  const double A = row_value(r.abs_weighted_v, idx, "abs_weighted_v");
  const double O = std::fabs(row_value(r.o_exact, idx, "o_exact"));
  const double S = row_value(r.v_scale, idx, "v_scale");
  const double spread = row_value(r.score_spread, row, "score_spread");

  const double e_weights = weight_error(c, r, row, p) * (A + O) + u * spread * (S + O);
  const double e_accumulation = accumulation_error(c, r, row, p) * (A + O);
  const double e_division = u * O;
  const double e_underflow = underflow_error(c, r, row, S);
  return require_finite(p.safety * (e_weights + e_accumulation + e_division + e_underflow) +
                            p.output_ulps * traits(c.o_type).format.ulp(O),
                        "O", row, col);
}

double lse_budget(const AttentionCase& c, const OracleResult& r, int64_t row, const BudgetParams& p) {
  const double u = kUnitRoundoff;
  const double lse = std::fabs(row_value(r.lse_exact, row, "lse_exact"));
  const double spread = row_value(r.score_spread, row, "score_spread");
  // log turns the denominator's relative error into an absolute one; logf and m + log l add 2u |LSE|.
  const double e_denominator = weight_error(c, r, row, p) + u * spread + accumulation_error(c, r, row, p);
  return require_finite(p.safety * (e_denominator + 2.0 * u * lse) + p.output_ulps * kFormatF32.ulp(lse), "LSE", row, 0);
}

}  // namespace flashcheck
