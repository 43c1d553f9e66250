// The oracle's fast path: one attention row in double-double with a running
// error bound. Notation and the derivation of every bound term: docs/oracle.md.
#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>

#include "oracle/dd_math.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {
namespace {

using dd::DD;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double u = dd::kU, u2 = dd::kU2;

constexpr int kLanes = 4;

// Compensated dot product of two rows whose products are exact in double
// (Ogita-Rump-Oishi Sum2 over independent lanes). Returns the double-double dot
// and sum |q_d k_d|.
struct Dot {
  DD value;
  double sum_abs;
};
[[gnu::always_inline]] inline Dot compensated_dot(const double* q, const double* k, int64_t n) {
  // Lanes as a vector type so both clones vectorize it (the compiler will not
  // reassociate a scalar reduction, rightly); each lane runs exactly Sum2.
  using Lanes = double __attribute__((vector_size(kLanes * sizeof(double))));
  Lanes hi_v{}, lo_v{}, ab_v{};
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes) {
    Lanes qv, kv;
    std::memcpy(&qv, q + d, sizeof qv);
    std::memcpy(&kv, k + d, sizeof kv);
    const Lanes p = qv * kv;
    const Lanes s = hi_v + p;
    const Lanes bb = s - hi_v;
    lo_v += (hi_v - (s - bb)) + (p - bb);
    hi_v = s;
    ab_v += p < 0 ? -p : p;
  }
  double hi[kLanes], lo[kLanes], ab[kLanes];
  std::memcpy(hi, &hi_v, sizeof hi);
  std::memcpy(lo, &lo_v, sizeof lo);
  std::memcpy(ab, &ab_v, sizeof ab);
  for (; d < n; ++d) {
    const double p = q[d] * k[d];
    const DD s = dd::two_sum(hi[0], p);
    hi[0] = s.hi;
    lo[0] += s.lo;
    ab[0] += std::fabs(p);
  }
  DD acc = dd::two_sum(hi[0], lo[0]);
  double sum_abs = ab[0];
  for (int l = 1; l < kLanes; ++l) {
    acc = dd::add(acc, dd::two_sum(hi[l], lo[l]));
    sum_abs += ab[l];
  }
  return {acc, sum_abs};
}

// Error bound of compensated_dot relative to sum |p|: each lane is Sum2 over at
// most n terms (gamma_{n}^2 after the TwoSums, 2n^2 u^2 for the double sum of lo
// parts) and the lanes are combined with double-double additions (3u^2 each).
double dot_error_bound(int64_t n, double sum_abs) {
  const double nn = static_cast<double>(n);
  return dd::round_up((4.0 * nn * nn + 4.0 * nn + 4.0 * kLanes * dd::kAddDDRel) * u2 * sum_abs);
}

// Splits w into a part with (53 - v_bits) significant bits, whose product with
// any V value is exact, and a small remainder.
struct SplitWeight {
  double exact_part, rest;
};
[[gnu::always_inline]] inline SplitWeight split_weight(DD w, int v_bits) {
  const double c = (std::ldexp(1.0, v_bits) + 1.0) * w.hi;
  const double hi = c - (c - w.hi);
  return {hi, (w.hi - hi) + w.lo};
}

// sum over blocks of q_block_l1 * k_block_l1 for key j (budget quantity, plain double).
double rotation_dot(const RowInput& in, int64_t j) {
  const auto blocks = static_cast<int64_t>(in.q_block_l1.size());
  double sum = 0.0;
  for (int64_t blk = 0; blk < blocks; ++blk)
    sum += in.q_block_l1[static_cast<size_t>(blk)] * in.kv->k_block_l1[static_cast<size_t>(j * blocks + blk)];
  return sum;
}

}  // namespace

// Cloned for AVX2 and baseline x86-64; the loader picks one at run time. Both clones
// perform the same IEEE operations in the same order, so results are identical.
[[gnu::target_clones("avx2", "default")]] RowEval evaluate_row_dd(const RowInput& in) {
  const AttentionCase& c = *in.c;
  const KvGroup& kv = *in.kv;
  const int64_t lk = kv.lk, dk = kv.dk, dv = kv.dv;
  RowEval r;
  r.o.assign(static_cast<size_t>(dv), DD{});
  r.o_err.assign(static_cast<size_t>(dv), 0.0);
  r.o_special.assign(static_cast<size_t>(dv), Special::none);
  r.abs_weighted_v.assign(static_cast<size_t>(dv), 0.0);
  r.v_scale.assign(static_cast<size_t>(dv), 0.0);

  const double scale = c.scale;
  const double softcap = c.softcap;

  // Pass 1: scores and their absolute error bounds.
  std::vector<DD> score(static_cast<size_t>(lk));
  std::vector<double> score_err(static_cast<size_t>(lk));
  std::vector<uint8_t> visible(static_cast<size_t>(lk), 0);
  // The largest score as a full double-double: subtracting only its high word would leave
  // the top key with exp(lo), and lo reaches half an ulp of hi (2^18 for scores near
  // 2^71), so the weights overflowed on rows with huge finite scores.
  DD m{-kInf, 0.0};
  const auto raise_max = [&m](DD s) {
    if (s.hi > m.hi || (s.hi == m.hi && s.lo > m.lo)) m = s;
  };
  for (int64_t j = 0; j < lk; ++j) {
    const double bias = in.bias[static_cast<size_t>(j)];
    if (bias == -kInf) continue;
    const Dot dot = compensated_dot(in.q.data(), kv.k.data() + j * dk, dk);
    if (std::isnan(dot.value.hi) || dot.value.hi == kInf) {
      r.nan_scores = true;
      continue;
    }
    if (dot.value.hi == -kInf) continue;  // weight exactly 0: the key drops out like a masked one
    DD s = dd::mul(dot.value, scale);
    double err = std::fabs(scale) * dot_error_bound(dk, dot.sum_abs) + dd::kMulDRel * u2 * dd::abs_hi(s);
    r.score_abs_max = std::max(r.score_abs_max, std::fabs(scale) * dot.sum_abs);
    if (!in.q_block_l1.empty()) r.rotation_dot_max = std::max(r.rotation_dot_max, std::fabs(scale) * rotation_dot(in, j));
    if (softcap > 0) {
      const DD y = dd::div(s, DD{softcap, 0.0});
      const double y_err = err / softcap + dd::kDivDDRel * u2 * dd::abs_hi(y);
      const DD t = dd::tanh_dd(y);
      const double t_err = y_err + dd::kTanhRel * dd::abs_hi(t) + dd::kTanhAbs;  // |tanh'| <= 1
      s = dd::mul(t, softcap);
      err = t_err * softcap + dd::kMulDRel * u2 * dd::abs_hi(s);
    }
    const double sb = in.slope * bias;
    if (sb != 0.0) {
      s = dd::add(s, dd::two_prod(in.slope, bias));  // slope * bias is exact as a double-double
      err += dd::kAddDDRel * u2 * dd::abs_hi(s);
    }
    score[static_cast<size_t>(j)] = s;
    score_err[static_cast<size_t>(j)] = dd::round_up(err);
    visible[static_cast<size_t>(j)] = 1;
    raise_max(s);
    r.max_abs_score = std::max(r.max_abs_score, std::fabs(s.hi));
    ++r.visible;
  }
  if (in.sink) raise_max(DD{*in.sink, 0.0});
  if (r.nan_scores) return r;
  if (r.visible == 0 && !in.sink) {
    r.fully_masked = true;
    return r;
  }

  // Pass 2: weights w_j = exp(s_j - m), the denominator L and numerators N_c, each a
  // double-double accumulated with Sum2, and the bound quantities.
  double l_hi = 0, l_lo = 0, l_abs_err = 0;
  std::vector<double> n_hi(static_cast<size_t>(dv), 0.0), n_lo(static_cast<size_t>(dv), 0.0);
  std::vector<double>& a_abs = r.abs_weighted_v;
  std::vector<double>& vmax = r.v_scale;
  std::vector<double> vrow(static_cast<size_t>(dv));
  double delta_max = 0;   // max relative error of any weight
  double spread = 0;      // sum w_j |x_j|
  double weight_underflow = 0;
  int64_t terms = 0;
  auto add_weight = [&](DD w) {
    const DD s = dd::two_sum(l_hi, w.hi);
    l_hi = s.hi;
    l_lo += s.lo + w.lo;
  };
  for (int64_t j = 0; j < lk; ++j) {
    if (!visible[static_cast<size_t>(j)]) continue;
    const DD x = dd::sub(score[static_cast<size_t>(j)], m);
    const double x_err = score_err[static_cast<size_t>(j)] + dd::kAddDDRel * u2 * dd::abs_hi(x);
    const DD w = dd::exp_dd(x);
    const double delta = x_err < 0x1p-20 ? x_err * (1.0 + 2.0 * x_err) + dd::kExpRel * (1.0 + 2.0 * x_err) : kInf;
    delta_max = std::max(delta_max, delta);
    weight_underflow += dd::kExpAbs;
    add_weight(w);
    spread += w.hi * std::fabs(x.hi);
    ++terms;

    const double* v = kv.v.data() + j * dv;
    if (kv.v_row_nonfinite[static_cast<size_t>(j)]) {
      // inf/NaN values at a visible key: exact arithmetic makes those columns
      // non-finite whatever the weight; the other columns proceed normally.
      for (int64_t col = 0; col < dv; ++col) {
        const double x_v = v[col];
        Special& sp = r.o_special[static_cast<size_t>(col)];
        if (std::isnan(x_v)) sp = Special::nan;
        else if (std::isinf(x_v)) {
          const Special want = x_v > 0 ? Special::pos_inf : Special::neg_inf;
          sp = (sp == Special::none || sp == want) ? want : Special::nan;
        }
        vrow[static_cast<size_t>(col)] = std::isfinite(x_v) ? x_v : 0.0;
      }
      v = vrow.data();
    }
    const SplitWeight sw = split_weight(w, kv.v_bits);
    for (int64_t col = 0; col < dv; ++col) {
      const double vc = v[col];
      const double p1 = sw.exact_part * vc;  // exact
      const double p2 = sw.rest * vc;
      const double s = n_hi[static_cast<size_t>(col)] + p1;
      const double bb = s - n_hi[static_cast<size_t>(col)];
      n_lo[static_cast<size_t>(col)] += ((n_hi[static_cast<size_t>(col)] - (s - bb)) + (p1 - bb)) + p2;
      n_hi[static_cast<size_t>(col)] = s;
      a_abs[static_cast<size_t>(col)] += std::fabs(p1);
      vmax[static_cast<size_t>(col)] = std::max(vmax[static_cast<size_t>(col)], std::fabs(vc));
    }
  }
  if (in.sink) {
    const DD x = dd::sub(DD{*in.sink, 0.0}, m);  // the sink itself is exact
    const double x_err = dd::kAddDDRel * u2 * dd::abs_hi(x);
    const DD w = dd::exp_dd(x);
    delta_max = std::max(delta_max, x_err < 0x1p-20 ? x_err * (1.0 + 2.0 * x_err) + dd::kExpRel * (1.0 + 2.0 * x_err)
                                                    : kInf);
    weight_underflow += dd::kExpAbs;
    add_weight(w);
    spread += w.hi * std::fabs(x.hi);
    ++terms;
  }

  const double n = static_cast<double>(terms);
  const DD l = dd::two_sum(l_hi, l_lo);
  // Sum2 bound: the TwoSum errors and lo words, each below u * partial sum, are
  // added in plain double: 2n^2 u^2 + 2n u^2 relative to L (all weights positive).
  const double sum2_rel = (4.0 * n * n + 4.0 * n + 2.0) * u2;
  l_abs_err = dd::round_up(delta_max * l.hi * (1.0 + 0x1p-40) + sum2_rel * l.hi + weight_underflow);
  r.score_spread = spread / l.hi;

  // The remainder part of each split weight is below 2^-(52 - v_bits) |w|; its
  // rounding, the rounding of its product with v, and the plain sum of the lo words
  // give the n-dependent term below (docs/oracle.md, "numerator").
  const double rest_rel = std::ldexp(1.0, -(52 - kv.v_bits));
  const double num_rel = dd::round_up((2.0 * rest_rel * u) * (1.0 + n) + sum2_rel + 2.0 * n * u * rest_rel);
  const double a_inflate = 1.0 + rest_rel + 2.0 * n * u;
  // The (1 + 2^-40) factors below absorb second-order terms; they need e_L/L < 2^-41.
  const double l_low = l_abs_err < l.hi * 0x1p-41 ? l.hi - l_abs_err : 0.0;
  for (int64_t col = 0; col < dv; ++col) {
    const size_t ci = static_cast<size_t>(col);
    const DD num = dd::two_sum(n_hi[ci], n_lo[ci]);
    const double a = dd::round_up(a_abs[ci] * a_inflate);
    const double n_err = dd::round_up(delta_max * a + num_rel * a + weight_underflow * vmax[ci] +
                                      n * 0x1p-1074 * 4.0);
    const DD o = dd::div(num, l);
    r.o[ci] = o;
    const double oabs = dd::abs_hi(o) * (1.0 + 0x1p-50);
    r.o_err[ci] = l_low > 0 ? dd::round_up((n_err + oabs * l_abs_err) / l_low * (1.0 + 0x1p-40) +
                                           dd::kDivDDRel * u2 * oabs)
                            : kInf;
    a_abs[ci] = a_abs[ci] / l.hi;  // report sum_j p_j |v_jc|
  }

  const dd::LogResult lg = dd::log_dd(l);
  r.lse = dd::add(lg.value, m);
  r.lse_err = l_low > 0 ? dd::round_up(lg.abs_error + l_abs_err / l_low + dd::kAddDDRel * u2 * dd::abs_hi(r.lse)) : kInf;
  return r;
}

}  // namespace flashcheck::oracle_detail
