#include "verdict/drift.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "oracle/attention_oracle.hpp"
#include "verdict/contract_reference.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

// max over visible rows' elements of |got - exact| / v_scale.
double v_relative_max(const AttentionCase& c, const OracleResult& r, const Tensor& o) {
  const auto& s = c.shape;
  double worst = 0;
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    if (r.fully_masked[static_cast<size_t>(row)]) continue;
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const double got = o.get(b, h, i, col);
      if (!std::isfinite(got)) return std::numeric_limits<double>::infinity();
      const double scale = r.v_scale[e] > 0 ? r.v_scale[e] : 1.0;
      worst = std::max(worst, std::fabs(got - r.o_exact[e]) / scale);
    }
  }
  return worst;
}

double median_relative_budget(const AttentionCase& c, const OracleResult& r) {
  const auto& s = c.shape;
  std::vector<double> budgets;
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    if (r.fully_masked[static_cast<size_t>(row)]) continue;
    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const double scale = r.v_scale[e] > 0 ? r.v_scale[e] : 1.0;
      budgets.push_back(o_budget(c, r, row, col, BudgetParams{}) / scale);
    }
  }
  if (budgets.empty()) return 0;
  std::nth_element(budgets.begin(), budgets.begin() + static_cast<std::ptrdiff_t>(budgets.size() / 2), budgets.end());
  return budgets[budgets.size() / 2];
}

std::string fmt_slope(const SlopeFit& f) { return f.slope ? fmt::format("{:.3f}", *f.slope) : std::string("n/a"); }

}  // namespace

std::vector<int64_t> geometric_key_lengths(int64_t max_lk) {
  std::vector<int64_t> out;
  for (int64_t lk = 64; lk < max_lk; lk *= 4) out.push_back(lk);
  out.push_back(std::max<int64_t>(max_lk, 1));
  return out;
}

SlopeFit fit_loglog_slope(std::span<const int64_t> lk, std::span<const double> error) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  for (size_t i = 0; i < std::min(lk.size(), error.size()); ++i) {
    if (!(error[i] > 0) || !std::isfinite(error[i]) || lk[i] < 1) continue;
    const double x = std::log2(static_cast<double>(lk[i])), y = std::log2(error[i]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    ++n;
  }
  SlopeFit f;
  f.points = n;
  const double denom = n * sxx - sx * sx;
  if (n >= 3 && denom > 0) f.slope = (n * sxy - sx * sy) / denom;
  return f;
}

void diagnose_drift(DriftSeries& s) {
  std::vector<int64_t> lk;
  std::vector<double> kernel, reference;
  const DriftPoint* out_of_budget = nullptr;
  for (const DriftPoint& p : s.points) {
    if (!p.problem.empty()) continue;
    lk.push_back(p.lk);
    kernel.push_back(p.kernel_error);
    reference.push_back(p.reference_error);
    if (!p.verdict_pass && !out_of_budget) out_of_budget = &p;
  }
  s.kernel_fit = fit_loglog_slope(lk, kernel);
  s.reference_fit = fit_loglog_slope(lk, reference);
  if (lk.empty()) {
    s.drift = false;
    s.diagnosis = "no point could be measured";
    return;
  }
  const double end_kernel = kernel.back(), end_reference = reference.back();
  const double end_ratio = end_reference > 0 ? end_kernel / end_reference : (end_kernel > 0 ? INFINITY : 1.0);
  const bool steeper = s.kernel_fit.slope && s.reference_fit.slope &&
                       *s.kernel_fit.slope > *s.reference_fit.slope + kDriftSlopeExcess;
  const bool steeper_without_reference_growth = s.kernel_fit.slope && !s.reference_fit.slope &&
                                                *s.kernel_fit.slope > kDriftSlopeExcess;
  // Drift is faster growth, not a constant factor: a steeper slope is always required.
  if (out_of_budget && (steeper || steeper_without_reference_growth)) {
    s.drift = true;
    s.diagnosis = fmt::format("accumulator drift: error leaves the budget at Lk={} and grows with slope {} vs the "
                              "contract reference's {} ({:.3g}x the reference's error at Lk={})",
                              out_of_budget->lk, fmt_slope(s.kernel_fit), fmt_slope(s.reference_fit), end_ratio,
                              lk.back());
  } else if ((steeper || steeper_without_reference_growth) && end_ratio > kDriftEndRatio) {
    s.drift = true;
    s.diagnosis = fmt::format("accumulator drift: error grows with slope {} vs the contract reference's {} and "
                              "reaches {:.3g}x its error at Lk={}",
                              fmt_slope(s.kernel_fit), fmt_slope(s.reference_fit), end_ratio, lk.back());
  } else if (out_of_budget) {
    s.drift = false;
    s.diagnosis = fmt::format("out of budget at Lk={} without growing faster than the contract reference "
                              "(slope {} vs {}): not drift",
                              out_of_budget->lk, fmt_slope(s.kernel_fit), fmt_slope(s.reference_fit));
  } else {
    s.drift = false;
    s.diagnosis = fmt::format("no drift: slope {} vs the contract reference's {}, {:.3g}x its error at Lk={}",
                              fmt_slope(s.kernel_fit), fmt_slope(s.reference_fit), end_ratio, lk.back());
  }
}

std::vector<DriftSeries> run_drift(Backend& backend, const DriftPlan& plan, void (*progress)(const std::string&)) {
  std::vector<DriftSeries> all;
  for (const std::string& dist : plan.distributions) {
    DriftSeries series;
    series.distribution = dist;
    for (int64_t lk : plan.key_lengths) {
      DriftPoint p;
      p.lk = lk;
      CaseRecipe r;
      r.shape = plan.shape;
      r.shape.lk = lk;
      r.k_type = r.v_type = plan.kv_type;
      r.distribution = dist;
      r.seed = plan.seed;
      try {
        const AttentionCase c = generate(r);
        const RunResult run = run_checked(backend, c);
        if (run.status != RunResult::Status::ok) {
          p.problem = run.message;
        } else {
          OracleOptions opts;
          opts.out_type = c.o_type;
          opts.threads = plan.oracle_threads;
          const OracleResult oracle = run_oracle(c, opts);
          const Verdict v = judge(c, oracle, run.output);
          p.verdict_pass = v.pass;
          p.worst_budget_ratio = v.worst_budget_ratio;
          p.kernel_error = v_relative_max(c, oracle, run.output.o);
          p.reference_error = v_relative_max(c, oracle, contract_reference(c, plan.accumulation).o);
          p.budget = median_relative_budget(c, oracle);
        }
      } catch (const std::exception& e) {
        p.problem = e.what();
      }
      if (progress)
        progress(fmt::format("{} Lk={}: {}", dist, lk,
                             p.problem.empty() ? fmt::format("kernel {:.3e}, reference {:.3e}", p.kernel_error,
                                                             p.reference_error)
                                               : p.problem));
      series.points.push_back(std::move(p));
    }
    diagnose_drift(series);
    all.push_back(std::move(series));
  }
  return all;
}

}  // namespace flashcheck
