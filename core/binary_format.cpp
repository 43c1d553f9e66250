#include "core/binary_format.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace flashcheck {


namespace {

// Exponent of a finite nonzero double and 2^e built from bits: this code runs for
// every element a generator writes and every output the oracle rounds, where
// ilogb/ldexp calls dominated the profile.
int exponent_of(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7FF);
  return biased == 0 ? std::ilogb(x) : biased - 1023;  // subnormal doubles are rare: use libm
}

double pow2(int e) {
  if (e < -1022 || e > 1023) return std::ldexp(1.0, e);
  const uint64_t bits = static_cast<uint64_t>(e + 1023) << 52;
  double r;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}

// Round-to-nearest-even to an integer of |t| < 2^52 under the default rounding mode.
double round_to_integer(double t) {
  constexpr double kShift = 0x1p52;
  if (std::fabs(t) >= kShift) return t;
  return t >= 0 ? (t + kShift) - kShift : -((-t + kShift) - kShift);
}

}  // namespace

double BinaryFormat::max_finite() const { return (2.0 - pow2(1 - precision)) * pow2(emax); }

double BinaryFormat::min_subnormal() const { return pow2(emin - precision + 1); }

double BinaryFormat::ulp(double x) const {
  x = std::fabs(x);
  int e = (x == 0.0) ? emin : exponent_of(x);
  if (e < emin) e = emin;
  return pow2(e - precision + 1);
}

double BinaryFormat::round_nearest_even(double x) const {
  if (!std::isfinite(x) || x == 0.0) return x;
  const double q = ulp(x);
  // x / q is exact (power-of-two scaling inside the double range), and has at most
  // 53 - precision + 1 integer bits, well below 2^52.
  const double r = round_to_integer(x / q) * q;
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
