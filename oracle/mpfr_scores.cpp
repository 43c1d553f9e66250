#include "oracle/mpfr_scores.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "oracle/double_double.hpp"

namespace flashcheck::oracle_detail {

MpfrScores mpfr_scores(const RowInput& in, long precision) {
  const AttentionCase& c = *in.c;
  const KvGroup& kv = *in.kv;
  const double eps = std::ldexp(1.0, static_cast<int>(-precision));
  MpfrScores out(precision);
  // Products of two doubles are exact at 128 bits; mpfr_sum rounds their sum once.
  std::vector<Mpfr> prods;
  prods.reserve(static_cast<size_t>(kv.dk));
  for (int64_t d = 0; d < kv.dk; ++d) prods.emplace_back(std::max<long>(precision, 128));
  std::vector<mpfr_ptr> ptrs(prods.size());
  Mpfr t(precision), y(precision), sb(128);
  bool have_m = false;
  for (int64_t j = 0; j < kv.lk; ++j) {
    const double bias = in.bias[static_cast<size_t>(j)];
    if (bias == -std::numeric_limits<double>::infinity()) continue;
    Mpfr s(precision);
    for (int64_t d = 0; d < kv.dk; ++d) {
      mpfr_set_d(prods[static_cast<size_t>(d)], in.q[static_cast<size_t>(d)], MPFR_RNDN);
      mpfr_mul_d(prods[static_cast<size_t>(d)], prods[static_cast<size_t>(d)], kv.k[static_cast<size_t>(j * kv.dk + d)],
                 MPFR_RNDN);
      ptrs[static_cast<size_t>(d)] = prods[static_cast<size_t>(d)];
    }
    mpfr_sum(s, ptrs.data(), static_cast<unsigned long>(kv.dk), MPFR_RNDN);
    if (mpfr_inf_p(s.get()) && mpfr_sgn(s.get()) < 0) continue;  // weight exactly 0
    if (!mpfr_number_p(s.get())) return out;                      // non-finite rows are decided elsewhere
    double err = eps * abs_upper(s) * std::fabs(static_cast<double>(c.scale));
    mpfr_mul_d(s, s, c.scale, MPFR_RNDN);
    err += eps * abs_upper(s);
    if (c.softcap > 0) {
      mpfr_div_d(y, s, c.softcap, MPFR_RNDN);
      double y_err = err / c.softcap + eps * abs_upper(y);
      mpfr_tanh(t, y, MPFR_RNDN);
      y_err += eps * abs_upper(t);  // |tanh'| <= 1
      mpfr_mul_d(s, t, c.softcap, MPFR_RNDN);
      err = y_err * c.softcap + eps * abs_upper(s);
    }
    if (in.slope * bias != 0.0) {
      mpfr_set_d(sb, in.slope, MPFR_RNDN);
      mpfr_mul_d(sb, sb, bias, MPFR_RNDN);  // exact: 53 + 53 bits fit in 128
      mpfr_add(s, s, sb, MPFR_RNDN);
      err += eps * abs_upper(s);
    }
    if (!have_m || mpfr_cmp(s, out.m) > 0) mpfr_set(out.m, s, MPFR_RNDN);
    have_m = true;
    out.s.push_back(std::move(s));
    out.err.push_back(dd::round_up(err));
    out.keys.push_back(j);
  }
  if (in.sink) {
    if (!have_m || mpfr_cmp_d(out.m, *in.sink) < 0) mpfr_set_d(out.m, *in.sink, MPFR_RNDN);
    have_m = true;
  }
  out.ok = have_m;
  return out;
}

bool exact_score_parts(const RowInput& in, int64_t j, mpfr_ptr scaled_dot, mpfr_ptr bias_term) {
  const AttentionCase& c = *in.c;
  const KvGroup& kv = *in.kv;
  // Products of two doubles are exact at 128 bits; mpfr_sum's cost follows the
  // inputs' exponent spread, not the output precision, so the exact sum is cheap.
  thread_local std::vector<Mpfr> prods;
  thread_local std::vector<mpfr_ptr> ptrs;
  while (prods.size() < static_cast<size_t>(kv.dk)) prods.emplace_back(128);
  ptrs.resize(static_cast<size_t>(kv.dk));
  int inexact = 0;
  for (int64_t d = 0; d < kv.dk; ++d) {
    mpfr_ptr p = prods[static_cast<size_t>(d)];
    mpfr_set_d(p, in.q[static_cast<size_t>(d)], MPFR_RNDN);
    inexact |= mpfr_mul_d(p, p, kv.k[static_cast<size_t>(j * kv.dk + d)], MPFR_RNDN);
    ptrs[static_cast<size_t>(d)] = p;
  }
  inexact |= mpfr_sum(scaled_dot, ptrs.data(), static_cast<unsigned long>(kv.dk), MPFR_RNDN);
  inexact |= mpfr_mul_d(scaled_dot, scaled_dot, c.scale, MPFR_RNDN);
  mpfr_set_d(bias_term, in.slope, MPFR_RNDN);
  inexact |= mpfr_mul_d(bias_term, bias_term, in.bias[static_cast<size_t>(j)], MPFR_RNDN);
  return inexact == 0 && mpfr_number_p(scaled_dot) && mpfr_number_p(bias_term);
}

bool exact_score(const RowInput& in, int64_t j, mpfr_ptr out) {
  Mpfr y(kExactScorePrec), sb(kExactScorePrec);
  if (!exact_score_parts(in, j, y, sb)) return false;
  if (in.c->softcap > 0 && !mpfr_zero_p(y.get())) return false;  // softcap * tanh(y / softcap): transcendental
  return mpfr_add(out, y, sb, MPFR_RNDN) == 0 && mpfr_number_p(out);
}

}  // namespace flashcheck::oracle_detail
