#include "core/binary_format.hpp"

#include <cmath>
#include <limits>

namespace flashcheck {

double BinaryFormat::max_finite() const {
  return std::ldexp(2.0 - std::ldexp(1.0, 1 - precision), emax);
}

double BinaryFormat::min_subnormal() const { return std::ldexp(1.0, emin - precision + 1); }

double BinaryFormat::ulp(double x) const {
  x = std::fabs(x);
  int e = (x == 0.0) ? emin : std::ilogb(x);
  if (e < emin) e = emin;
  return std::ldexp(1.0, e - precision + 1);
}

double BinaryFormat::round_nearest_even(double x) const {
  if (!std::isfinite(x) || x == 0.0) return x;
  const double q = ulp(x);
  // x / q is exact (power-of-two scaling inside the double range); nearbyint uses
  // the default round-to-nearest-even mode.
  const double r = std::nearbyint(x / q) * q;
  if (std::fabs(r) > max_finite()) return std::copysign(std::numeric_limits<double>::infinity(), x);
  return r;
}

double BinaryFormat::round_nearest_even(double hi, double lo) const {
  const double r = round_nearest_even(hi);
  if (lo == 0.0 || !std::isfinite(hi) || hi == 0.0) return r;
  // Only when hi sits exactly on a midpoint can lo change the outcome: any other
  // midpoint is at least one double ulp away from hi, farther than |lo| reaches.
  const double q = ulp(hi);
  const double t = hi / q;  // exact
  const double below = std::floor(t);
  if (t - below != 0.5) return r;
  // hi + lo has hi's sign, also when it rounds to zero (-0 for a negative sum).
  const double pick = std::copysign((lo > 0 ? below + 1.0 : below) * q, hi);
  if (std::fabs(pick) > max_finite()) return std::copysign(std::numeric_limits<double>::infinity(), pick);
  return pick;
}

double BinaryFormat::next_up(double x) const {
  if (x == 0.0) return min_subnormal();
  if (x < 0) return -next_down(-x);
  const double up = x + ulp(x);
  return up > max_finite() ? std::numeric_limits<double>::infinity() : up;
}

double BinaryFormat::next_down(double x) const {
  if (x == 0.0) return -min_subnormal();
  if (x < 0) return -next_up(-x);
  // Just below a power of two the spacing halves (except at the subnormal boundary).
  const bool power_of_two = std::ldexp(1.0, std::ilogb(x)) == x;
  if (power_of_two && std::ilogb(x) > emin) return x - ulp(x) / 2;
  return x - ulp(x);
}

int64_t ordinal(const BinaryFormat& f, double x) {
  // Count of representable positive values below |x|: subnormal steps, then
  // 2^(precision-1) values per binade.
  const double ax = std::fabs(x);
  const int64_t per_binade = int64_t{1} << (f.precision - 1);
  int64_t n;
  if (ax < std::ldexp(1.0, f.emin)) {
    n = static_cast<int64_t>(ax / f.min_subnormal());
  } else if (std::isinf(ax)) {
    n = per_binade * (f.emax - f.emin + 2);
  } else {
    const int e = std::ilogb(ax);
    const double frac = ax / std::ldexp(1.0, e) - 1.0;  // in [0, 1)
    n = per_binade * (e - f.emin + 1) + static_cast<int64_t>(frac * static_cast<double>(per_binade));
  }
  return std::signbit(x) ? -n : n;
}

}  // namespace flashcheck
