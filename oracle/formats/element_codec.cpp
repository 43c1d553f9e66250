#include "oracle/formats/element_codec.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace flashcheck::formats {

namespace {

// Rounding restated on the magnitude: directed modes depend on the sign of the input.
enum class MagnitudeRounding : uint8_t { toward_zero, away_from_zero, nearest_even, nearest_away };

MagnitudeRounding magnitude_rounding(Rounding r, bool negative) {
  switch (r) {
    case Rounding::nearest_even: return MagnitudeRounding::nearest_even;
    case Rounding::nearest_away: return MagnitudeRounding::nearest_away;
    case Rounding::toward_zero: return MagnitudeRounding::toward_zero;
    case Rounding::toward_pos_inf: return negative ? MagnitudeRounding::toward_zero : MagnitudeRounding::away_from_zero;
    case Rounding::toward_neg_inf: return negative ? MagnitudeRounding::away_from_zero : MagnitudeRounding::toward_zero;
  }
  throw std::invalid_argument("rounding mode out of range");
}

int exponent_field_ones(const ElementFormat& f) { return (1 << f.exp_bits) - 1; }

// Magnitude code of n * 2^q (n >= 1), a point of the format's grid, with the exponent
// field left unbounded: one past the largest finite value gives the next code up, so
// neighbours on the grid always have consecutive ordinals (the tie-to-even rule reads
// their parity, which is IEEE 754's rule for every format and defines it for E8M0).
int64_t grid_ordinal(const ElementFormat& f, int64_t n, int q) {
  const int m = f.mant_bits;
  const int e = q + static_cast<int>(std::bit_width(static_cast<uint64_t>(n))) - 1;
  if (f.has_subnormals && e < f.grid.emin) return n;  // subnormal: q is emin - m, n is the mantissa
  const int shift = m - (e - q);                      // -1 only for the carry n = 2^(m+1)
  const int64_t significand = shift >= 0 ? n << shift : n >> -shift;
  return (static_cast<int64_t>(e + f.bias) << m) + significand - (int64_t{1} << m);
}

uint8_t overflow_code(const ElementFormat& f, Overflow o, MagnitudeRounding mode) {
  // IEEE 754 7.4: rounding toward zero (for this sign) never leaves the finite range.
  if (o == Overflow::saturate || mode == MagnitudeRounding::toward_zero) return max_finite_code(f);
  return f.has_inf ? inf_code(f) : f.canonical_nan;
}

uint8_t nan_result(const ElementFormat& f, NanPolicy p) {
  switch (p) {
    case NanPolicy::to_nan: return f.canonical_nan;
    case NanPolicy::to_zero: return 0;
    case NanPolicy::to_max: return max_finite_code(f);
  }
  throw std::invalid_argument("NaN policy out of range");
}

// Correctly rounded magnitude code of finite a > 0 (may stand for an overflow).
uint8_t encode_magnitude(const ElementFormat& f, double a, MagnitudeRounding mode, Overflow o) {
  const int m = f.mant_bits;
  // Quantum of a's binade, clamped at the subnormal quantum: a / 2^q is exact and < 2^(m+1).
  const int q = std::max(std::ilogb(a), f.grid.emin) - m;
  const double scaled = std::ldexp(a, -q);
  const double below = std::floor(scaled);
  const double frac = scaled - below;  // exact
  int64_t n = static_cast<int64_t>(below);
  if (n == 0 && !f.has_zero) {
    n = 1;  // no zero to round down to: the smallest positive value is the only neighbour
  } else if (frac != 0.0) {
    bool up = false;
    switch (mode) {
      case MagnitudeRounding::toward_zero: up = false; break;
      case MagnitudeRounding::away_from_zero: up = true; break;
      case MagnitudeRounding::nearest_away: up = frac >= 0.5; break;
      case MagnitudeRounding::nearest_even:
        up = frac > 0.5 || (frac == 0.5 && grid_ordinal(f, n, q) % 2 != 0);  // n = 0 is even
        break;
    }
    if (up) ++n;
  }
  if (n == 0) return 0;
  if (std::ldexp(static_cast<double>(n), q) > f.max_finite) return overflow_code(f, o, mode);
  return static_cast<uint8_t>(grid_ordinal(f, n, q));
}

}  // namespace

uint8_t max_finite_code(const ElementFormat& f) {
  const int q = f.grid.emax - f.mant_bits;
  return static_cast<uint8_t>(grid_ordinal(f, static_cast<int64_t>(std::ldexp(f.max_finite, -q)), q));
}

uint8_t inf_code(const ElementFormat& f) {
  if (!f.has_inf) throw std::invalid_argument(std::string(f.name) + " has no infinity");
  return static_cast<uint8_t>(exponent_field_ones(f) << f.mant_bits);
}

bool is_nan_code(const ElementFormat& f, uint8_t code) {
  const unsigned magnitude = code & f.magnitude_mask();
  const unsigned mantissa = magnitude & ((1u << f.mant_bits) - 1u);
  switch (f.nan) {
    case NanEncoding::none: return false;
    case NanEncoding::ieee: return (magnitude >> f.mant_bits) == unsigned(exponent_field_ones(f)) && mantissa != 0;
    case NanEncoding::all_ones_mantissa: return magnitude == f.magnitude_mask();
    case NanEncoding::single_code: return code == f.canonical_nan;
  }
  return false;
}

bool is_inf_code(const ElementFormat& f, uint8_t code) {
  return f.has_inf && (code & f.magnitude_mask()) == inf_code(f);
}

uint8_t encode(const ElementFormat& f, double x, const EncodePolicy& p) {
  check_policy(f, p);
  // E8M0 has no sign and no zero: anything <= 0 is as unrepresentable as NaN.
  if (std::isnan(x) || (!f.is_signed && !(x > 0.0))) return nan_result(f, p.nan);
  const bool negative = std::signbit(x);
  const uint8_t sign = negative ? f.sign_mask() : uint8_t{0};
  const MagnitudeRounding mode = magnitude_rounding(p.rounding, negative);
  const double a = std::fabs(x);
  if (a == 0.0) return sign;
  uint8_t magnitude;
  if (std::isinf(a)) {
    // An infinite input is exact, not an overflow: the rounding mode does not apply.
    magnitude = p.overflow == Overflow::saturate ? max_finite_code(f) : (f.has_inf ? inf_code(f) : f.canonical_nan);
  } else {
    magnitude = encode_magnitude(f, a, mode, p.overflow);
  }
  if (is_nan_code(f, magnitude)) return magnitude;  // NaN results are canonical, sign dropped
  return static_cast<uint8_t>(sign | magnitude);
}

double decode(const ElementFormat& f, uint8_t code) {
  if (code >= f.code_count())
    throw std::invalid_argument("code " + std::to_string(code) + " does not fit the " + std::to_string(f.bits) +
                                "-bit format " + std::string(f.name));
  if (is_nan_code(f, code)) return std::numeric_limits<double>::quiet_NaN();
  const bool negative = (code & f.sign_mask()) != 0;
  double value;
  if (is_inf_code(f, code)) {
    value = std::numeric_limits<double>::infinity();
  } else {
    const int magnitude = code & f.magnitude_mask();
    const int field = magnitude >> f.mant_bits;
    const int mantissa = magnitude & ((1 << f.mant_bits) - 1);
    value = (f.has_subnormals && field == 0)
                ? std::ldexp(mantissa, f.grid.emin - f.mant_bits)
                : std::ldexp((1 << f.mant_bits) + mantissa, field - f.bias - f.mant_bits);
  }
  return negative ? -value : value;
}

}  // namespace flashcheck::formats
