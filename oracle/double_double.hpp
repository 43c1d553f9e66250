#pragma once
// Double-double arithmetic: a value is the unevaluated sum hi + lo with
// |lo| <= ulp(hi)/2. Error-free transformations (TwoSum, Dekker's TwoProd) make
// sums and products of doubles exact; the compound operations carry the relative
// error bounds proved by Joldes, Muller and Popescu ("Tight and rigorous error
// bounds for basic building blocks of double-word arithmetic", ACM TOMS 2017),
// stated below in units of u^2 = 2^-106. The oracle's running error bounds use
// exactly these constants, so this file must be compiled without FMA contraction.
#include <cmath>

namespace flashcheck::dd {

inline constexpr double kU = 0x1p-53;   // unit roundoff of double
inline constexpr double kU2 = 0x1p-106; // u^2

struct DD {
  double hi = 0.0, lo = 0.0;
};

// Relative error bounds of the operations below, in units of u^2 (rounded up).
inline constexpr double kAddDDRel = 3.0;  // AccurateDWPlusDW: 3u^2/(1-4u)
inline constexpr double kAddDRel = 2.0;   // DWPlusFP: 2u^2
inline constexpr double kMulDRel = 2.0;   // DWTimesFP1: 1.5u^2 + 4u^3
inline constexpr double kMulDDRel = 7.0;  // DWTimesDW1: 7u^2
inline constexpr double kDivDDRel = 16.0; // DWDivDW2: 15u^2 + 56u^3

inline DD two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

inline DD fast_two_sum(double a, double b) {  // requires |a| >= |b| or a == 0
  const double s = a + b;
  return {s, b - (s - a)};
}

// Veltkamp split into two halves of 26 and 27 bits (valid for |a| < 2^995).
inline DD split(double a) {
  const double c = 134217729.0 * a;  // 2^27 + 1
  const double hi = c - (c - a);
  return {hi, a - hi};
}

inline DD two_prod(double a, double b) {
  const double p = a * b;
  const DD as = split(a), bs = split(b);
  const double err = ((as.hi * bs.hi - p) + as.hi * bs.lo + as.lo * bs.hi) + as.lo * bs.lo;
  return {p, err};
}

inline DD add(DD a, double b) {
  const DD s = two_sum(a.hi, b);
  return fast_two_sum(s.hi, s.lo + a.lo);
}

inline DD add(DD a, DD b) {
  DD s = two_sum(a.hi, b.hi);
  const DD t = two_sum(a.lo, b.lo);
  s.lo += t.hi;
  s = fast_two_sum(s.hi, s.lo);
  s.lo += t.lo;
  return fast_two_sum(s.hi, s.lo);
}

inline DD neg(DD a) { return {-a.hi, -a.lo}; }
inline DD sub(DD a, DD b) { return add(a, neg(b)); }

inline DD mul(DD a, double b) {
  DD p = two_prod(a.hi, b);
  p.lo += a.lo * b;
  return fast_two_sum(p.hi, p.lo);
}

inline DD mul(DD a, DD b) {
  DD p = two_prod(a.hi, b.hi);
  p.lo += a.hi * b.lo + a.lo * b.hi;
  return fast_two_sum(p.hi, p.lo);
}

inline DD div(DD a, DD b) {
  const double q1 = a.hi / b.hi;
  const DD r = sub(a, mul(b, q1));
  const double q2 = r.hi / b.hi;
  const DD r2 = sub(r, mul(b, q2));
  const double q3 = r2.hi / b.hi;
  return add(fast_two_sum(q1, q2), q3);
}

inline DD ldexp(DD a, int e) { return {std::ldexp(a.hi, e), std::ldexp(a.lo, e)}; }
inline double abs_hi(DD a) { return std::fabs(a.hi); }

// An upper bound of |x| + |y| style quantities computed in double: inflate by a
// few ulps so a bound computed with rounding stays a bound.
inline double round_up(double x) { return x * (1.0 + 0x1p-50) + 0x1p-1070; }

}  // namespace flashcheck::dd
