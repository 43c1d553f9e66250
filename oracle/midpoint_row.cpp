// Last tier: an element whose value lies within 2^-2000 (relative) of a rounding
// midpoint without being equal to it. This is common, not exotic: with a peaked
// softmax, O = v_top + (terms of size e^-Delta), and v_top itself can be a midpoint
// of the output format (an f32 V rounded to f16 output), while Delta can be in the
// thousands; the LSE is likewise max_score + log(1 + tiny). Rather than O itself we
// evaluate the sign of O - mid in a form without cancellation:
//   sign(O - mid) = sign( sum_j e^{x_j} (v_jc - mid) - mid e^{x_sink} ),
// where each v_jc - mid is exact, so the sum is dominated by its largest terms.
// For the LSE (rational scores only): LSE - mid = (M - mid) + log L, with M - mid
// exact; when M == mid the sign is that of L - 1, i.e. + when any other key exists.
#include <cmath>
#include <vector>

#include "oracle/double_double.hpp"
#include "oracle/mpfr_scores.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {
namespace {

constexpr long kExactDiffPrec = 2304;  // v - mid exactly for doubles of any exponents

std::optional<int> sign_o_at(const RowInput& in, int64_t col, double mid, long precision) {
  const KvGroup& kv = *in.kv;
  const double eps = std::ldexp(1.0, static_cast<int>(-precision));
  MpfrScores sc = mpfr_scores(in, precision);
  if (!sc.ok) return std::nullopt;
  const size_t n = sc.keys.size() + (in.sink ? 1 : 0);
  std::vector<Mpfr> terms;
  terms.reserve(n);
  std::vector<mpfr_ptr> ptrs;
  Mpfr x(precision), w(precision), diff(kExactDiffPrec), term_err(64);
  // The terms can be far below the double range (e^-1000), so their error bound is
  // accumulated in MPFR too, rounded upward.
  Mpfr err(64);
  mpfr_set_zero(err, 1);
  auto add_term = [&](mpfr_srcptr score, double score_err, double value) {
    mpfr_sub(x, score, sc.m, MPFR_RNDN);
    const double x_err = score_err + eps * abs_upper(x);
    if (x_err >= 0x1p-20) return false;
    mpfr_exp(w, x, MPFR_RNDN);
    mpfr_set_d(diff, value, MPFR_RNDN);
    mpfr_sub_d(diff, diff, mid, MPFR_RNDN);  // exact at this precision
    Mpfr t(precision);
    mpfr_mul(t, w, diff, MPFR_RNDN);
    mpfr_abs(term_err, t, MPFR_RNDU);
    mpfr_mul_d(term_err, term_err, x_err * (1.0 + 2.0 * x_err) + 3.0 * eps, MPFR_RNDU);
    mpfr_add(err, err, term_err, MPFR_RNDU);
    terms.push_back(std::move(t));
    return true;
  };
  for (size_t a = 0; a < sc.keys.size(); ++a)
    if (!add_term(sc.s[a], sc.err[a], kv.v[static_cast<size_t>(sc.keys[a] * kv.dv + col)])) return std::nullopt;
  if (in.sink) {
    Mpfr sink(precision);
    mpfr_set_d(sink, *in.sink, MPFR_RNDN);
    if (!add_term(sink, 0.0, 0.0)) return std::nullopt;
  }
  for (auto& t : terms) ptrs.push_back(t);
  Mpfr total(precision);
  mpfr_sum(total, ptrs.data(), ptrs.size(), MPFR_RNDN);
  mpfr_abs(term_err, total, MPFR_RNDU);
  mpfr_mul_d(term_err, term_err, eps, MPFR_RNDU);
  mpfr_add(err, err, term_err, MPFR_RNDU);
  mpfr_mul_d(err, err, 1.0 + 0x1p-40, MPFR_RNDU);
  if (mpfr_zero_p(total.get()) || mpfr_cmpabs(total, err) <= 0) return std::nullopt;
  return mpfr_sgn(total.get()) > 0 ? 1 : -1;
}

std::optional<int> sign_lse_at(const RowInput& in, double mid, long precision) {
  const KvGroup& kv = *in.kv;
  const double eps = std::ldexp(1.0, static_cast<int>(-precision));
  std::vector<Mpfr> scores;
  Mpfr m(kExactScorePrec);
  for (int64_t j = 0; j < kv.lk; ++j) {
    if (in.bias[static_cast<size_t>(j)] == -INFINITY) continue;
    Mpfr s(kExactScorePrec);
    if (!exact_score(in, j, s)) return std::nullopt;
    if (scores.empty() || mpfr_cmp(s, m) > 0) mpfr_set(m, s, MPFR_RNDN);
    scores.push_back(std::move(s));
  }
  if (in.sink) {
    Mpfr s(kExactScorePrec);
    mpfr_set_d(s, *in.sink, MPFR_RNDN);
    if (scores.empty() || mpfr_cmp(s, m) > 0) mpfr_set(m, s, MPFR_RNDN);
    scores.push_back(std::move(s));
  }
  if (scores.empty()) return std::nullopt;
  Mpfr d0(kExactScorePrec + 64);
  mpfr_sub_d(d0, m, mid, MPFR_RNDN);  // exact
  if (mpfr_zero_p(d0.get())) {
    if (scores.size() > 1) return 1;  // L = 1 + (positive terms) > 1
    return std::nullopt;              // LSE == mid exactly: the exact tier's business
  }
  std::vector<Mpfr> w;
  std::vector<mpfr_ptr> ptrs;
  Mpfr x(kExactScorePrec + 64);
  for (auto& s : scores) {
    mpfr_sub(x, s, m, MPFR_RNDN);  // exact
    Mpfr e(precision);
    mpfr_exp(e, x, MPFR_RNDN);
    w.push_back(std::move(e));
  }
  for (auto& e : w) ptrs.push_back(e);
  Mpfr l(precision), lg(precision), d(precision);
  mpfr_sum(l, ptrs.data(), ptrs.size(), MPFR_RNDN);  // relative error <= 2 eps (terms and sum)
  mpfr_log(lg, l, MPFR_RNDN);
  mpfr_add(d, d0, lg, MPFR_RNDN);
  const double err = dd::round_up(3.0 * eps + eps * abs_upper(lg) + eps * abs_upper(d));
  if (!(std::fabs(mpfr_get_d(d, MPFR_RNDZ)) > err)) return std::nullopt;
  return mpfr_sgn(d.get()) > 0 ? 1 : -1;
}

}  // namespace

std::optional<int> sign_o_minus(const RowInput& in, int64_t col, double mid, std::span<const long> precisions) {
  for (long p : precisions)
    if (auto s = sign_o_at(in, col, mid, p)) return s;
  return std::nullopt;
}

std::optional<int> sign_lse_minus(const RowInput& in, double mid, std::span<const long> precisions) {
  for (long p : precisions)
    if (auto s = sign_lse_at(in, mid, p)) return s;
  return std::nullopt;
}

}  // namespace flashcheck::oracle_detail
