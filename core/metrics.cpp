#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Nearest-rank percentile of sorted, non-empty values.
double percentile(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<size_t>(std::ceil(p * n));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Both non-finite and the same value (NaN counts as one value whatever its payload).
bool same_nonfinite(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::isinf(a) && a == b;
}

}  // namespace

Summary summarize(std::vector<double> values) {
  std::erase_if(values, [](double x) { return std::isnan(x); });
  Summary s;
  s.count = static_cast<int64_t>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.max = values.back();
  s.p50 = percentile(values, 0.50);
  s.p90 = percentile(values, 0.90);
  s.p99 = percentile(values, 0.99);
  return s;
}

int64_t ulp_distance(DType t, double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    throw std::invalid_argument(fmt::format("ulp_distance: NaN operand ({} / {:a}, {} / {:a})", a, a, b, b));
  const BinaryFormat& f = traits(t).format;
  return std::llabs(ordinal(f, a) - ordinal(f, b));
}

double nmse(std::span<const float> reference, std::span<const float> got) {
  if (reference.size() != got.size())
    throw std::invalid_argument(fmt::format("nmse: {} reference values but {} results", reference.size(), got.size()));
  // Same arithmetic as test-backend-ops: each term in float, the sums in double.
  double mse_ref_got = 0.0;
  double mse_ref_zero = 0.0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const float a = reference[i];
    const float b = got[i];
    mse_ref_got += (a - b) * (a - b);
    mse_ref_zero += a * a;
  }
  return mse_ref_got / mse_ref_zero;
}

ErrorMetrics compare(const ErrorInputs& in) {
  const size_t n = in.got.size();
  if (in.expected.size() != n || in.exact.size() != n || in.v_scale.size() != n)
    throw std::invalid_argument(fmt::format("compare: input lengths differ (got {}, expected {}, exact {}, v_scale {})", n,
                                            in.expected.size(), in.exact.size(), in.v_scale.size()));
  ErrorMetrics m;
  m.elements = static_cast<int64_t>(n);
  std::vector<double> abs_err(n), rel_err(n), ulp_err(n);
  // NMSE over the finite pairs; identical non-finite pairs (a fully masked row's -inf LSE)
  // are correct and skipped, any other non-finite pair makes it +inf.
  std::vector<float> nmse_ref, nmse_got;
  nmse_ref.reserve(n);
  nmse_got.reserve(n);
  bool nonfinite_mismatch = false;

  for (size_t i = 0; i < n; ++i) {
    const double got = in.got[i];
    const double expected = in.expected[i];
    const double exact = in.exact[i];
    if (same_nonfinite(got, expected)) {  // the correctly rounded answer, even where exact overflowed
      abs_err[i] = rel_err[i] = ulp_err[i] = 0.0;
      continue;
    }
    if (!std::isfinite(got) && std::isfinite(expected)) ++m.nonfinite_where_finite;
    if (!std::isfinite(got) || !std::isfinite(expected) || !std::isfinite(exact)) {
      abs_err[i] = rel_err[i] = ulp_err[i] = kInf;
      nonfinite_mismatch = true;
      continue;
    }
    abs_err[i] = std::fabs(got - exact);
    const double vs = in.v_scale[i];
    rel_err[i] = abs_err[i] == 0.0 ? 0.0 : (vs == 0.0 ? kInf : abs_err[i] / vs);
    ulp_err[i] = static_cast<double>(ulp_distance(in.out_type, got, expected));
    nmse_ref.push_back(in.expected[i]);
    nmse_got.push_back(in.got[i]);
  }
  m.abs_error = summarize(std::move(abs_err));
  m.v_rel_error = summarize(std::move(rel_err));
  m.ulp_error = summarize(std::move(ulp_err));
  if (nonfinite_mismatch)
    m.nmse = kInf;
  else if (nmse_ref != nmse_got)  // equal outputs score 0 even when all are zero (0/0)
    m.nmse = nmse(nmse_ref, nmse_got);
  return m;
}

}  // namespace flashcheck
