// The double-double building blocks against MPFR: error-free transformations are
// exact, and each elementary function stays inside the relative bound the oracle's
// error analysis assumes (the measured maximum is printed for docs/oracle.md).
#include <gtest/gtest.h>
#include <mpfr.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "oracle/dd_math.hpp"

namespace {

using flashcheck::dd::DD;

struct Big {
  mpfr_t v;
  Big() { mpfr_init2(v, 320); }
  ~Big() { mpfr_clear(v); }
  void set(DD x) {
    mpfr_set_d(v, x.hi, MPFR_RNDN);
    mpfr_add_d(v, v, x.lo, MPFR_RNDN);
  }
};

// |approx - exact| / |exact| with both as MPFR values.
double rel_error(DD approx, const Big& exact) {
  Big a, d;
  a.set(approx);
  mpfr_sub(d.v, a.v, exact.v, MPFR_RNDN);
  if (mpfr_zero_p(exact.v)) return mpfr_zero_p(d.v) ? 0.0 : INFINITY;
  mpfr_div(d.v, d.v, exact.v, MPFR_RNDN);
  return std::fabs(mpfr_get_d(d.v, MPFR_RNDN));
}

DD random_dd(std::mt19937_64& g, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  const double h = u(g);
  return flashcheck::dd::two_sum(h, h * 0x1p-60 * u(g) / (std::fabs(hi) + 1.0));
}

TEST(DoubleDouble, ErrorFreeTransformationsAreExact) {
  std::mt19937_64 g(7);
  std::uniform_real_distribution<double> u(-1e10, 1e10);
  for (int n = 0; n < 100000; ++n) {
    const double a = u(g) * std::ldexp(1.0, static_cast<int>(g() % 60) - 30), b = u(g);
    const DD s = flashcheck::dd::two_sum(a, b), p = flashcheck::dd::two_prod(a, b);
    Big ex, got;
    mpfr_set_d(ex.v, a, MPFR_RNDN);
    mpfr_add_d(ex.v, ex.v, b, MPFR_RNDN);
    got.set(s);
    ASSERT_TRUE(mpfr_equal_p(ex.v, got.v)) << "two_sum " << a << " " << b;
    mpfr_set_d(ex.v, a, MPFR_RNDN);
    mpfr_mul_d(ex.v, ex.v, b, MPFR_RNDN);
    got.set(p);
    ASSERT_TRUE(mpfr_equal_p(ex.v, got.v)) << "two_prod " << a << " " << b;
  }
}

TEST(DoubleDouble, ExpStaysInsideItsBound) {
  std::mt19937_64 g(11);
  double worst = 0;
  for (int n = 0; n < 200000; ++n) {
    const DD x = n % 4 == 0 ? random_dd(g, -0.02, 0.02) : random_dd(g, -700.0, 5.0);
    Big ex, xb;
    xb.set(x);
    mpfr_exp(ex.v, xb.v, MPFR_RNDN);
    const DD got = flashcheck::dd::exp_dd(x);
    const double e = rel_error(got, ex);
    // Results below 2^-969 lose their low word: there the absolute term governs.
    const double allowed = flashcheck::dd::kExpRel + flashcheck::dd::kExpAbs / mpfr_get_d(ex.v, MPFR_RNDZ);
    if (got.hi > 0x1p-969) worst = std::max(worst, e);
    ASSERT_LE(e, allowed) << std::hexfloat << "x = " << x.hi << " + " << x.lo;
  }
  std::printf("exp_dd: max relative error %a (bound %a)\n", worst, flashcheck::dd::kExpRel);
}

TEST(DoubleDouble, Expm1AndTanhStayInsideTheirBounds) {
  std::mt19937_64 g(13);
  double worst_e = 0, worst_t = 0;
  for (int n = 0; n < 100000; ++n) {
    const DD x = n % 3 == 0 ? random_dd(g, -0.01, 0.01) : n % 3 == 1 ? random_dd(g, 0.0, 45.0) : random_dd(g, -400.0, 400.0);
    Big ex, xb;
    xb.set(x);
    if (x.hi >= 0 && x.hi <= 354.0) {
      mpfr_expm1(ex.v, xb.v, MPFR_RNDN);
      const double e = rel_error(flashcheck::dd::expm1_dd(x), ex);
      worst_e = std::max(worst_e, e);
      ASSERT_LE(e, flashcheck::dd::kExpm1Rel) << std::hexfloat << "expm1 x = " << x.hi;
    }
    mpfr_tanh(ex.v, xb.v, MPFR_RNDN);
    const double t = rel_error(flashcheck::dd::tanh_dd(x), ex);
    worst_t = std::max(worst_t, t);
    ASSERT_LE(t, flashcheck::dd::kTanhRel) << std::hexfloat << "tanh x = " << x.hi;
  }
  std::printf("expm1_dd: max relative error %a (bound %a)\n", worst_e, flashcheck::dd::kExpm1Rel);
  std::printf("tanh_dd: max relative error %a (bound %a)\n", worst_t, flashcheck::dd::kTanhRel);
}

TEST(DoubleDouble, LogErrorIsWithinItsReportedBound) {
  std::mt19937_64 g(17);
  for (int n = 0; n < 100000; ++n) {
    const DD x = random_dd(g, 0.5, n % 2 ? 3.0 : 1e9);
    Big ex, xb, got, d;
    xb.set(x);
    mpfr_log(ex.v, xb.v, MPFR_RNDN);
    const auto r = flashcheck::dd::log_dd(x);
    got.set(r.value);
    mpfr_sub(d.v, got.v, ex.v, MPFR_RNDN);
    const double err = std::fabs(mpfr_get_d(d.v, MPFR_RNDU));
    ASSERT_LE(err, r.abs_error) << std::hexfloat << "log x = " << x.hi;
    ASSERT_LE(r.abs_error, 0x1p-90 * std::max(1.0, std::fabs(r.value.hi)));
  }
}

}  // namespace
