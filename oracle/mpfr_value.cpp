#include "oracle/mpfr_value.hpp"

#include <cmath>
#include <limits>

namespace flashcheck::oracle_detail {

double round_to_format(mpfr_srcptr x, const BinaryFormat& f) {
  if (mpfr_nan_p(x)) return std::numeric_limits<double>::quiet_NaN();
  if (mpfr_inf_p(x)) return mpfr_sgn(x) > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  if (mpfr_zero_p(x)) return 0.0;
  const long ilogb = mpfr_get_exp(x) - 1;  // x = m * 2^exp with m in [1/2, 1)
  double r;
  if (ilogb < f.emin) {
    // Subnormal range: round to a multiple of the smallest subnormal.
    const long q_exp = f.emin - f.precision + 1;
    Mpfr t(mpfr_get_prec(x) + 8);
    mpfr_mul_2si(t, x, -q_exp, MPFR_RNDN);  // exact
    mpfr_rint(t, t, MPFR_RNDN);             // ties to even
    r = std::ldexp(mpfr_get_d(t, MPFR_RNDN), static_cast<int>(q_exp));
  } else {
    Mpfr t(f.precision);
    mpfr_set(t, x, MPFR_RNDN);  // correctly rounded, ties to even
    r = mpfr_get_d(t, MPFR_RNDN);
  }
  if (std::fabs(r) > f.max_finite()) return std::copysign(std::numeric_limits<double>::infinity(), r);
  return r;
}

}  // namespace flashcheck::oracle_detail
