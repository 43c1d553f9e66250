// Escalation path: one row re-evaluated in MPFR at a chosen precision, with the
// same error-bound structure as the double-double path but with every operation
// correctly rounded (relative error <= 2^-P), so the bound shrinks as P grows.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "oracle/double_double.hpp"
#include "oracle/mpfr_value.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double absd(mpfr_srcptr x) { return std::fabs(mpfr_get_d(x, MPFR_RNDA)); }  // rounded away: an upper bound

// Sum of doubles' products q_d * k_d, correctly rounded to the precision of out.
void exact_dot(mpfr_ptr out, const double* q, const double* k, int64_t n, std::vector<Mpfr>& prods,
               std::vector<mpfr_ptr>& ptrs) {
  for (int64_t d = 0; d < n; ++d) {
    mpfr_set_d(prods[static_cast<size_t>(d)], q[d], MPFR_RNDN);
    mpfr_mul_d(prods[static_cast<size_t>(d)], prods[static_cast<size_t>(d)], k[d], MPFR_RNDN);  // exact at 128 bits
    ptrs[static_cast<size_t>(d)] = prods[static_cast<size_t>(d)];
  }
  mpfr_sum(out, ptrs.data(), static_cast<unsigned long>(n), MPFR_RNDN);
}

// Whether the interval [x - e, x + e] rounds to one value of f; that value if so.
std::optional<double> decide(mpfr_srcptr x, double e, const BinaryFormat& f) {
  if (!std::isfinite(e)) return std::nullopt;
  const long p = mpfr_get_prec(x) + 64;
  Mpfr lo(p), hi(p);
  mpfr_sub_d(lo, x, e, MPFR_RNDD);
  mpfr_add_d(hi, x, e, MPFR_RNDU);
  const double a = round_to_format(lo, f), b = round_to_format(hi, f);
  if (a == b) return round_to_format(x, f);
  return std::nullopt;
}

}  // namespace

MpfrDecision evaluate_row_mpfr(const RowInput& in, const std::vector<int64_t>& columns, bool want_lse, long precision,
                               const BinaryFormat& o_format) {
  const AttentionCase& c = *in.c;
  const KvGroup& kv = *in.kv;
  const int64_t lk = kv.lk, dk = kv.dk, dv = kv.dv;
  const double eps = std::ldexp(1.0, static_cast<int>(-precision));  // relative error of one rounding
  MpfrDecision out;
  out.o.assign(columns.size(), std::nullopt);
  out.o_approx.assign(columns.size(), 0.0);

  std::vector<Mpfr> prods;
  prods.reserve(static_cast<size_t>(std::max(dk, lk + 1)));
  for (int64_t d = 0; d < std::max(dk, lk + 1); ++d) prods.emplace_back(std::max<long>(precision, 128));
  std::vector<mpfr_ptr> ptrs(prods.size());

  // Scores.
  std::vector<Mpfr> score;
  std::vector<double> score_err;
  std::vector<int64_t> keys;
  Mpfr t(precision), y(precision), sb(128), m(precision);
  bool have_m = false;
  for (int64_t j = 0; j < lk; ++j) {
    const double bias = in.bias[static_cast<size_t>(j)];
    if (bias == -kInf) continue;
    Mpfr s(precision);
    exact_dot(s, in.q.data(), kv.k.data() + j * dk, dk, prods, ptrs);
    if (mpfr_inf_p(s.get()) && mpfr_sgn(s.get()) < 0) continue;
    if (!mpfr_number_p(s.get())) return out;  // non-finite rows are decided by the caller
    double err = eps * absd(s) * std::fabs(static_cast<double>(c.scale));
    mpfr_mul_d(s, s, c.scale, MPFR_RNDN);
    err += eps * absd(s);
    if (c.softcap > 0) {
      mpfr_div_d(y, s, c.softcap, MPFR_RNDN);
      double y_err = err / c.softcap + eps * absd(y);
      mpfr_tanh(t, y, MPFR_RNDN);
      y_err += eps * absd(t);
      mpfr_mul_d(s, t, c.softcap, MPFR_RNDN);
      err = y_err * c.softcap + eps * absd(s);
    }
    if (in.slope * bias != 0.0) {
      mpfr_set_d(sb, in.slope, MPFR_RNDN);
      mpfr_mul_d(sb, sb, bias, MPFR_RNDN);  // exact: 53 + 53 bits fit in 128
      mpfr_add(s, s, sb, MPFR_RNDN);
      err += eps * absd(s);
    }
    if (!have_m || mpfr_cmp(s, m) > 0) mpfr_set(m, s, MPFR_RNDN);
    have_m = true;
    score.push_back(std::move(s));
    score_err.push_back(dd::round_up(err));
    keys.push_back(j);
  }
  if (in.sink) {
    if (!have_m || mpfr_cmp_d(m, *in.sink) < 0) mpfr_set_d(m, *in.sink, MPFR_RNDN);
    have_m = true;
  }
  if (!have_m) return out;

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
  return out;
}

}  // namespace flashcheck::oracle_detail
