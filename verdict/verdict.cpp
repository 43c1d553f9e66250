// judge(): absolute rules first (non-finite leaks, the contract's fully masked row
// policy), then every element against its contract budget (verdict/contract_budget.cpp).
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "verdict/verdict.hpp"

#include "verdict/contract_budget.hpp"

namespace flashcheck {
namespace {

constexpr size_t kWorstKept = 5;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string number(double x) { return fmt::format("{:.9g} ({:a})", x, x); }

// Keeps the few elements with the largest error/budget ratio, first seen first on ties.
class WorstElements {
 public:
  void offer(const Mismatch& m, double ratio) {
    if (kept_.size() == kWorstKept && !(ratio > kept_.back().first)) return;
    auto pos = std::upper_bound(kept_.begin(), kept_.end(), ratio,
                                [](double r, const std::pair<double, Mismatch>& e) { return r > e.first; });
    kept_.insert(pos, {ratio, m});
    if (kept_.size() > kWorstKept) kept_.pop_back();
  }
  std::vector<Mismatch> take() const {
    std::vector<Mismatch> out;
    for (const auto& e : kept_) out.push_back(e.second);
    return out;
  }

 private:
  std::vector<std::pair<double, Mismatch>> kept_;
};

// Counts one kind of broken rule and remembers its first example.
struct RuleCounter {
  int64_t count = 0;
  std::string first;
  void add(const Mismatch& m) {
    if (count++ == 0) first = m.describe();
  }
};

// Element-wise budget check of one output (O or LSE).
struct BudgetCheck {
  int64_t checked = 0;
  int64_t over = 0;
  double worst_ratio = 0;
  std::string worst;
  void add(const Mismatch& m, double ratio) {
    ++checked;
    if (ratio > 1.0) ++over;
    if (worst.empty() || ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = m.describe();
    }
  }
};

double ratio_of(double error, double budget) {
  if (error == 0.0) return 0.0;
  return budget > 0.0 ? error / budget : kInf;
}

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void require_size(size_t have, int64_t want, const char* what) {
  if (static_cast<int64_t>(have) != want)
    throw std::invalid_argument(
        fmt::format("oracle result does not match the case: {} has {} values, expected {}", what, have, want));
}

// The oracle must describe this very case (a harness error otherwise, not a subject failure).
void check_oracle_shape(const AttentionCase& c, const OracleResult& r) {
  const auto& s = c.shape;
  const int64_t rows = s.batch * s.hq * s.lq;
  const int64_t elements = rows * s.dv;
  require_size(r.o.size(), elements, "o");
  require_size(r.o_exact.size(), elements, "o_exact");
  require_size(r.v_scale.size(), elements, "v_scale");
  require_size(r.abs_weighted_v.size(), elements, "abs_weighted_v");
  require_size(r.lse.size(), rows, "lse");
  require_size(r.lse_exact.size(), rows, "lse_exact");
  require_size(r.score_abs_max.size(), rows, "score_abs_max");
  require_size(r.score_spread.size(), rows, "score_spread");
  require_size(r.max_abs_score.size(), rows, "max_abs_score");
  require_size(r.visible_keys.size(), rows, "visible_keys");
  require_size(r.fully_masked.size(), rows, "fully_masked");
}


// The values a contract's fully masked row must hold (NaN: any NaN; O = 0: either sign).
struct MaskedRowValues {
  double o, lse;
};

MaskedRowValues masked_row_values(MaskedRowPolicy p) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (p) {
    case MaskedRowPolicy::nan_o_neg_inf_lse: return {kNaN, -kInf};
    case MaskedRowPolicy::zeros_neg_inf_lse:
    case MaskedRowPolicy::unspecified: break;
  }
  return {0.0, -kInf};
}

}  // namespace

std::string Mismatch::describe() const {
  const std::string where = what == "LSE" ? fmt::format("{}[b={} h={} i={}]", what, b, h, i)
                                          : fmt::format("{}[b={} h={} i={} col={}]", what, b, h, i, col);
  return fmt::format("{}: got {}, expected {}, exact {}, |error| {} vs budget {}", where, number(got),
                     number(expected), number(exact), number(std::fabs(got - exact)), number(budget));
}

std::string Verdict::summary() const {
  if (pass) return "pass";
  return "FAIL: " + (rule_failures.empty() ? std::string("no reason recorded") : rule_failures.front());
}

Verdict judge(const AttentionCase& c, const OracleResult& oracle, const RunOutput& out, const Contract& contract) {
  check_oracle_shape(c, oracle);
  Verdict v;
  v.contract = std::string(contract.name);
  if (const std::string problem = output_problem(c, out); !problem.empty()) {
    v.pass = false;
    v.rule_failures.push_back(problem);
    v.worst_budget_ratio = kInf;
    return v;
  }

  const auto& s = c.shape;
  const int64_t rows = s.batch * s.hq * s.lq;
  v.has_lse = !out.lse.empty();
  const ContractBudget budget(c, oracle, contract);
  const MaskedRowValues masked_values = masked_row_values(contract.fully_masked);
  // A base-2 LSE is the natural one times log2(e): the exact value and its budget scale alike.
  const double lse_unit = contract.lse_base == LseBase::two ? std::numbers::log2e : 1.0;

  RuleCounter nonfinite, finite_vs_nonfinite, other_nonfinite, masked_row;
  BudgetCheck o_check, lse_check;
  WorstElements worst;
  // Metrics cover rows with a visible key; fully masked rows are judged by the policy alone.
  std::vector<float> o_got, o_expected, o_reference, lse_got, lse_expected;
  std::vector<double> o_exact, o_vscale, lse_exact, lse_scale;

  for (int64_t row = 0; row < rows; ++row) {
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
    const auto r = static_cast<size_t>(row);
    const bool fully_masked = oracle.fully_masked[r] != 0;

    // budget_of: the element's budget, formed only where the oracle is finite;
    // beyond_range: whether the contract's own arithmetic cannot represent the element.
    auto judge_element = [&](Mismatch m, bool is_o, auto budget_of, auto beyond_range) {
      if (fully_masked) {
        if (contract.fully_masked == MaskedRowPolicy::unspecified) return;
        m.expected = m.exact = is_o ? masked_values.o : masked_values.lse;
        const bool ok = is_o ? (std::isnan(m.expected) ? std::isnan(m.got) : m.got == 0.0) : same_value(m.got, m.expected);
        if (!ok) {
          masked_row.add(m);
          worst.offer(m, kInf);
        }
        return;
      }
      if (same_value(m.got, m.expected) && !std::isfinite(m.got)) return;  // the same inf or NaN as the oracle
      if (!std::isfinite(m.got) || !std::isfinite(m.exact)) {
        if (!std::isfinite(m.got) && std::isfinite(m.exact) && beyond_range()) {
          ++v.beyond_contract_range;
          return;
        }
        // Three ways apart: non-finite where the oracle is finite, finite where it is not, and a
        // different non-finite value (inf where the oracle's is NaN, or the other infinity).
        if (std::isfinite(m.got)) finite_vs_nonfinite.add(m);
        else if (std::isfinite(m.exact)) nonfinite.add(m);
        else other_nonfinite.add(m);
        worst.offer(m, kInf);
        return;
      }
      // A finite exact value that rounds to inf (overflow of the O dtype) is judged by its budget.
      m.budget = budget_of();
      const double ratio = ratio_of(std::fabs(m.got - m.exact), m.budget);
      (is_o ? o_check : lse_check).add(m, ratio);
      worst.offer(m, ratio);
      v.worst_budget_ratio = std::max(v.worst_budget_ratio, ratio);
    };

    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const double got = out.o.get(b, h, i, col);
      judge_element({"O", b, h, i, col, got, oracle.o[e], oracle.o_exact[e], 0.0}, true,
                    [&] { return budget.o(row, col); }, [&] { return budget.o_beyond_range(row, col); });
      if (!fully_masked) {
        o_got.push_back(static_cast<float>(got));
        o_expected.push_back(oracle.o[e]);
        o_reference.push_back(static_cast<float>(budget.reference().o.get(b, h, i, col)));
        o_exact.push_back(oracle.o_exact[e]);
        o_vscale.push_back(oracle.v_scale[e]);
      }
    }
    if (v.has_lse) {
      const double exact = oracle.lse_exact[r] * lse_unit;
      const double expected = lse_unit == 1.0 ? oracle.lse[r] : static_cast<float>(exact);
      judge_element({"LSE", b, h, i, 0, out.lse[r], expected, exact, 0.0}, false,
                    [&] { return budget.lse(row) * lse_unit; }, [&] { return budget.lse_beyond_range(row); });
      if (!fully_masked) {
        lse_got.push_back(out.lse[r]);
        lse_expected.push_back(static_cast<float>(expected));
        lse_exact.push_back(exact);
        lse_scale.push_back(1.0);  // LSE has no V scale: its "v-relative" error is the absolute one
      }
    }
  }

  if (nonfinite.count > 0) {
    v.worst_budget_ratio = kInf;
    v.rule_failures.push_back(
        fmt::format("{} non-finite value(s) where the oracle is finite; first: {}", nonfinite.count, nonfinite.first));
  }
  if (finite_vs_nonfinite.count > 0) {
    v.worst_budget_ratio = kInf;
    v.rule_failures.push_back(fmt::format("{} finite value(s) where the oracle is not finite; first: {}",
                                          finite_vs_nonfinite.count, finite_vs_nonfinite.first));
  }
  if (other_nonfinite.count > 0) {
    v.worst_budget_ratio = kInf;
    v.rule_failures.push_back(fmt::format("{} non-finite value(s) other than the oracle's (inf vs NaN, or the other "
                                          "infinity); first: {}",
                                          other_nonfinite.count, other_nonfinite.first));
  }
  if (masked_row.count > 0) {
    v.worst_budget_ratio = kInf;
    v.rule_failures.push_back(fmt::format("{} value(s) of fully masked rows break the contract's policy ({}); first: {}",
                                          masked_row.count, to_string(contract.fully_masked), masked_row.first));
  }
  for (const auto* check : {&o_check, &lse_check})
    if (check->over > 0)
      v.rule_failures.push_back(fmt::format("{} of {} {} element(s) exceed the {} contract's budget; worst "
                                            "error/budget {:.3g}: {}",
                                            check->over, check->checked, check == &o_check ? "O" : "LSE",
                                            contract.name, check->worst_ratio, check->worst));

  v.o_metrics = compare({o_got, o_expected, o_exact, o_vscale, c.o_type});
  v.reference_o_nmse = nmse(o_expected, o_reference);
  if (v.has_lse) v.lse_metrics = compare({lse_got, lse_expected, lse_exact, lse_scale, DType::f32});
  v.worst = worst.take();
  v.pass = v.rule_failures.empty();
  return v;
}

}  // namespace flashcheck
