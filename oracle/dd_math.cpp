#include "oracle/dd_math.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mpfr.h>

namespace flashcheck::dd {
namespace {

// Constants computed once with MPFR at 256 bits and rounded to double-double, so
// none is typed in by hand.
struct ExpTables {
  // ln2/64 as three parts: the first two with 36 significant bits so that m * part
  // is exact for |m| < 2^17, the last a full double.
  double ln2_64[3];
  std::array<DD, 64> two_pow_j64;  // 2^(j/64)
  std::array<DD, 6> inv_fact;      // 1/k! for k = 0..5
  ExpTables() {
    mpfr_t a, b;
    mpfr_inits2(256, a, b, static_cast<mpfr_ptr>(nullptr));
    mpfr_const_log2(a, MPFR_RNDN);
    mpfr_div_ui(a, a, 64, MPFR_RNDN);
    for (int i = 0; i < 3; ++i) {
      mpfr_set_prec(b, i < 2 ? 36 : 53);
      mpfr_set(b, a, MPFR_RNDN);
      ln2_64[i] = mpfr_get_d(b, MPFR_RNDN);
      mpfr_sub_d(a, a, ln2_64[i], MPFR_RNDN);
    }
    mpfr_set_prec(b, 256);
    for (int j = 0; j < 64; ++j) {
      mpfr_set_ui(a, static_cast<unsigned long>(j), MPFR_RNDN);
      mpfr_div_ui(a, a, 64, MPFR_RNDN);
      mpfr_exp2(a, a, MPFR_RNDN);
      two_pow_j64[static_cast<size_t>(j)] = to_dd(a, b);
    }
    unsigned long fact = 1;
    for (unsigned long k = 0; k < 6; ++k) {
      if (k > 0) fact *= k;
      mpfr_set_ui(a, 1, MPFR_RNDN);
      mpfr_div_ui(a, a, fact, MPFR_RNDN);
      inv_fact[k] = to_dd(a, b);
    }
    mpfr_clears(a, b, static_cast<mpfr_ptr>(nullptr));
  }
  static DD to_dd(mpfr_t x, mpfr_t scratch) {
    const double hi = mpfr_get_d(x, MPFR_RNDN);
    mpfr_sub_d(scratch, x, hi, MPFR_RNDN);
    return {hi, mpfr_get_d(scratch, MPFR_RNDN)};
  }
};

const ExpTables& tables() {
  static const ExpTables t;
  return t;
}

// e^r for |r| <= ln2/128 + tiny: Taylor to degree 11. Terms of degree >= 6 are
// below 2^-54 relative and are summed in double; degrees <= 5 in double-double.
// Truncation error < r^12/12! < 2^-119.
DD exp_small(DD r, const ExpTables& t) {
  const double x = r.hi;
  double tail = 1.0 / 39916800.0;  // 1/11!
  tail = tail * x + 1.0 / 3628800.0;
  tail = tail * x + 1.0 / 362880.0;
  tail = tail * x + 1.0 / 40320.0;
  tail = tail * x + 1.0 / 5040.0;
  tail = tail * x + 1.0 / 720.0;
  DD p = mul(r, tail);  // sum_{k>=6} r^(k-5)/k!
  for (int k = 5; k >= 0; --k) {
    p = add(p, t.inv_fact[static_cast<size_t>(k)]);
    if (k > 0) p = mul(p, r);
  }
  return p;
}

// 2^e for -1022 <= e <= 1023, built from its bits (cheaper than ldexp).
double pow2(int e) {
  const uint64_t bits = static_cast<uint64_t>(e + 1023) << 52;
  double r;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}

}  // namespace

DD exp_dd(DD x) {
  if (std::isnan(x.hi)) return {x.hi, 0.0};
  if (x.hi < -745.2) return {0.0, 0.0};
  if (x.hi > 709.7) return {std::numeric_limits<double>::infinity(), 0.0};
  const ExpTables& t = tables();
  // x = m * ln2/64 + r with m = 64k + j.
  const double m = std::nearbyint(x.hi * (64.0 / 0.6931471805599453));
  DD r = two_sum(x.hi - m * t.ln2_64[0], -m * t.ln2_64[1]);  // both products exact
  r = add(r, -m * t.ln2_64[2]);
  r = add(r, x.lo);
  const long mi = static_cast<long>(m);
  const long j = ((mi % 64) + 64) % 64;
  const int k = static_cast<int>((mi - j) / 64);
  DD e = mul(exp_small(r, t), t.two_pow_j64[static_cast<size_t>(j)]);
  // Scale by 2^k in two exact power-of-two steps (|k| <= 1075, so each factor is a
  // normal double); only a subnormal result rounds, which kExpAbs covers.
  const double f1 = pow2(k / 2), f2 = pow2(k - k / 2);
  return {e.hi * f1 * f2, e.lo * f1 * f2};
}

DD expm1_dd(DD x) {
  if (std::fabs(x.hi) >= 0.0078125) return add(exp_dd(x), -1.0);  // cancellation <= 1/(1-e^-1/128) < 2^7
  // Direct Taylor sum without the leading 1: x + x^2/2 + ... (|x| < 2^-7: degree 14
  // leaves a remainder below 2^-110 relative).
  DD p{1.0 / 87178291200.0, 0.0};  // 1/14!
  static const double inv[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                               1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0};
  for (double c : inv) p = add(mul(p, x.hi), c);  // high-order terms: double coefficients suffice
  const ExpTables& t = tables();
  for (int k = 5; k >= 1; --k) p = add(mul(p, x), t.inv_fact[static_cast<size_t>(k)]);
  return mul(p, x);
}

DD tanh_dd(DD x) {
  const bool neg = x.hi < 0;
  DD a = neg ? dd::neg(x) : x;
  DD r;
  if (a.hi > 40.0) {
    r = {1.0, 0.0};  // 1 - tanh(a) = 2/(e^{2a} + 1) < 2e^-80 < 2^-114, inside kTanhRel
  } else {
    const DD e = expm1_dd(ldexp(a, 1));  // tanh(a) = E / (E + 2), E = e^{2a} - 1
    r = div(e, add(e, 2.0));
  }
  return neg ? dd::neg(r) : r;
}

LogResult log_dd(DD x) {
  // One Newton step y1 = y0 + x e^{-y0} - 1 from the double logarithm. With
  // d = y0 - log x, y1 - log x = d + e^{-d} - 1, so |y1 - log x| <= d^2/2 * e^|d|
  // plus the evaluation error of x e^{-y0} - 1. |d| itself is bounded from the
  // computed correction c = y1 - y0 = e^{-d} - 1 + err: |d| <= 2(|c| + |err|).
  const double y0 = std::log(x.hi);
  const DD ex = exp_dd({-y0, 0.0});
  const DD prod = mul(x, ex);                 // ~1
  const DD corr = add(prod, -1.0);            // ~ -d
  const double eval_err = round_up((kExpRel + kMulDDRel * kU2) * std::fabs(prod.hi) * 1.01 +
                                   kAddDRel * kU2 * std::fabs(corr.hi) + kExpAbs * x.hi);
  const double d = round_up(2.0 * (std::fabs(corr.hi) + std::fabs(corr.lo) + eval_err));
  const DD y1 = add(corr, y0);
  const double newton = d < 0.25 ? round_up(d * d * 0.5 * std::exp(d)) : std::numeric_limits<double>::infinity();
  const double err = round_up(newton + eval_err + kAddDRel * kU2 * std::fabs(y1.hi));
  return {y1, err};
}

}  // namespace flashcheck::dd
