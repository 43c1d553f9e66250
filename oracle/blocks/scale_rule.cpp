#include "oracle/blocks/scale_rule.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "oracle/blocks/block.hpp"

#include "core/named_values.hpp"

namespace flashcheck::blocks {

namespace {

constexpr std::array<std::pair<ScaleRule, std::string_view>, 3> kRuleNames{{
    {ScaleRule::ocp_floor, "ocp_floor"},
    {ScaleRule::round, "round"},
    {ScaleRule::ceil, "ceil"},
}};
constexpr std::array kRules{ScaleRule::ocp_floor, ScaleRule::round, ScaleRule::ceil};

// m * m >= 2 for m in [1, 2), exactly: the product is split into a double and its
// error term (fma), and m * m == 2 has no solution, so the error decides only near 2.
bool square_at_least_two(double m) {
  const double p = m * m;
  const double e = std::fma(m, m, -p);
  return p > 2.0 || (p == 2.0 && e >= 0.0);
}

// 2 * t^2 <= limit^2 for t, limit > 0, exactly (limit^2 is exact for every element max).
bool doubled_square_at_most(double t, double limit) {
  const double p = t * t;
  const double e = std::fma(t, t, -p);
  const double l2 = limit * limit;
  return 2.0 * p < l2 || (2.0 * p == l2 && e <= 0.0);
}

void require_positive_finite(double a) {
  if (!(a > 0.0) || std::isinf(a))
    throw std::invalid_argument("shared scale needs a finite amax > 0, got " + describe_value(a));
}

}  // namespace

std::string_view name(ScaleRule r) { return name_in<ScaleRule>(kRuleNames, r, "scale rule"); }

std::optional<ScaleRule> parse_scale_rule(std::string_view s) { return value_named<ScaleRule>(kRuleNames, s); }

std::span<const ScaleRule> all_scale_rules() { return kRules; }

int element_emax(const formats::ElementFormat& f) { return std::ilogb(f.max_finite); }

int floor_log2_scaled(double a, int half_exp) {
  require_positive_finite(a);
  const int e = std::ilogb(a);
  // Even half_exp: a power-of-two factor. Odd: 2^((h-1)/2) * sqrt(2), and the mantissa m
  // of a crosses the next binade exactly when m * sqrt(2) >= 2, i.e. m^2 >= 2.
  if (half_exp % 2 == 0) return e + half_exp / 2;
  const double m = std::scalbn(a, -e);
  return e + (half_exp - 1) / 2 + (square_at_least_two(m) ? 1 : 0);
}

int shared_exponent_unclamped(ScaleRule r, const formats::ElementFormat& f, double a, int half_exp) {
  const int emax = element_emax(f);
  switch (r) {
    case ScaleRule::ocp_floor:
      return floor_log2_scaled(a, half_exp) - emax;
    // round(log2 v) with ties up is floor(log2 v + 1/2) = floor(log2(v * 2^(1/2))).
    case ScaleRule::round:
      return floor_log2_scaled(a, half_exp + 1) - emax;
    case ScaleRule::ceil: {
      // X0 puts amax / 2^X0 in [2^emax, 2^(emax+1)): one step up is always enough.
      const int x0 = floor_log2_scaled(a, half_exp) - emax;
      bool fits;
      if (half_exp % 2 == 0) {
        fits = std::ldexp(a, half_exp / 2 - x0) <= f.max_finite;
      } else {
        fits = doubled_square_at_most(std::ldexp(a, (half_exp - 1) / 2 - x0), f.max_finite);
      }
      return fits ? x0 : x0 + 1;
    }
  }
  throw std::invalid_argument("scale rule out of range");
}

}  // namespace flashcheck::blocks
