// Escalation path: one row re-evaluated in MPFR at a chosen precision, with the
// same error-bound structure as the double-double path but with every operation
// correctly rounded (relative error <= 2^-P), so the bound shrinks as P grows.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "oracle/double_double.hpp"
#include "oracle/mpfr_scores.hpp"
#include "oracle/mpfr_value.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double absd(mpfr_srcptr x) { return abs_upper(x); }

// Whether the interval [x - e, x + e] rounds to one value of f; that value if so.
std::optional<double> decide(mpfr_srcptr x, double e, const BinaryFormat& f) {
  if (!std::isfinite(e)) return std::nullopt;
  const long p = mpfr_get_prec(x) + 64;
  Mpfr lo(p), hi(p);
  mpfr_sub_d(lo, x, e, MPFR_RNDD);
  mpfr_add_d(hi, x, e, MPFR_RNDU);
  const double a = round_to_format(lo, f), b = round_to_format(hi, f);
  if (a == b && std::signbit(a) == std::signbit(b)) return round_to_format(x, f);
  return std::nullopt;
}

}  // namespace

MpfrDecision evaluate_row_mpfr(const RowInput& in, const std::vector<int64_t>& columns, bool want_lse, long precision,
                               const BinaryFormat& o_format) {
  const KvGroup& kv = *in.kv;
  const int64_t lk = kv.lk, dv = kv.dv;
  const double eps = std::ldexp(1.0, static_cast<int>(-precision));  // relative error of one rounding
  MpfrDecision out;
  out.o.assign(columns.size(), std::nullopt);
  out.o_approx.assign(columns.size(), 0.0);

  std::vector<Mpfr> prods;
  prods.reserve(static_cast<size_t>(lk + 1));
  for (int64_t d = 0; d < lk + 1; ++d) prods.emplace_back(precision);
  std::vector<mpfr_ptr> ptrs(prods.size());

  MpfrScores sc = mpfr_scores(in, precision);
  if (!sc.ok) return out;
  std::vector<Mpfr>& score = sc.s;
  const std::vector<double>& score_err = sc.err;
  const std::vector<int64_t>& keys = sc.keys;
  Mpfr& m = sc.m;

  // Weights, exact-argument errors, and the denominator.
  const size_t nk = keys.size();
  std::vector<Mpfr> w;
  w.reserve(nk);
  std::vector<double> w_d(nk);
  double delta_max = 0;
  for (size_t a = 0; a < nk; ++a) {
    Mpfr x(precision);
    mpfr_sub(x, score[a], m, MPFR_RNDN);
    const double x_err = score_err[a] + eps * absd(x);
    const double delta = x_err < 0x1p-20 ? x_err * (1.0 + 2.0 * x_err) + eps * (1.0 + 2.0 * x_err) : kInf;
    delta_max = std::max(delta_max, delta);
    Mpfr e(precision);
    mpfr_exp(e, x, MPFR_RNDN);
    w_d[a] = mpfr_get_d(e, MPFR_RNDN);
    w.push_back(std::move(e));
  }
  for (size_t a = 0; a < nk; ++a) ptrs[a] = w[a];
  size_t n_terms = nk;
  Mpfr sink_w(precision);
  if (in.sink) {
    Mpfr x(precision);
    mpfr_d_sub(x, *in.sink, m, MPFR_RNDN);
    mpfr_exp(sink_w, x, MPFR_RNDN);
    delta_max = std::max(delta_max, eps * (1.0 + 0x1p-20));
    ptrs[n_terms++] = sink_w;
  }
  Mpfr l(precision);
  mpfr_sum(l, ptrs.data(), n_terms, MPFR_RNDN);
  const double l_d = mpfr_get_d(l, MPFR_RNDZ);
  const double l_err = dd::round_up(delta_max * l_d * (1.0 + 0x1p-40) + 2.0 * eps * l_d);
  const double l_low = l_err < l_d * 0x1p-41 ? l_d - l_err : 0.0;
  if (l_low <= 0) return out;

  // Requested columns.
  Mpfr num(precision), o(precision);
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    const int64_t col = columns[ci];
    double a_sum = 0;
    for (size_t a = 0; a < nk; ++a) {
      double vc = kv.v[static_cast<size_t>(keys[a] * dv + col)];
      if (!std::isfinite(vc)) vc = 0.0;  // such columns are decided as specials by the caller
      mpfr_mul_d(prods[a], w[a], vc, MPFR_RNDN);
      ptrs[a] = prods[a];
      a_sum += w_d[a] * std::fabs(vc);
    }
    mpfr_sum(num, ptrs.data(), nk, MPFR_RNDN);
    const double a_bound = dd::round_up(a_sum * (1.0 + 4.0 * static_cast<double>(nk + 2) * dd::kU));
    const double n_err = delta_max * a_bound + eps * a_bound + eps * absd(num) + static_cast<double>(nk) * 0x1p-1070;
    mpfr_div(o, num, l, MPFR_RNDN);
    const double oabs = absd(o);
    const double o_err = dd::round_up((n_err + oabs * l_err) / l_low * (1.0 + 0x1p-40) + eps * oabs);
    out.o[ci] = decide(o, o_err, o_format);
    out.o_approx[ci] = mpfr_get_d(o, MPFR_RNDN);
  }

  if (want_lse) {
    Mpfr lg(precision), lse(precision);
    mpfr_log(lg, l, MPFR_RNDN);
    mpfr_add(lse, lg, m, MPFR_RNDN);
    const double err = dd::round_up(l_err / l_low * (1.0 + 0x1p-40) + eps * absd(lg) + eps * absd(lse));
    out.lse = decide(lse, err, kFormatF32);
    out.lse_approx = mpfr_get_d(lse, MPFR_RNDN);
  }
  out.evaluated = true;
  return out;
}

}  // namespace flashcheck::oracle_detail
