#pragma once
// IEEE-style binary floating-point formats described by their parameters, and
// round-to-nearest-even of a double into them. Used to give every tensor element
// the exact value a kernel reading that storage type sees.
#include <cstdint>

namespace flashcheck {

struct BinaryFormat {
  int precision;  // significand bits including the implicit one
  int emin;       // exponent of the smallest normal number
  int emax;       // exponent of the largest finite number

  double max_finite() const;
  double min_subnormal() const;
  // Quantum (spacing) of the format at magnitude |x| (the ulp), for finite x.
  double ulp(double x) const;
  // Round-to-nearest-even into the format; overflow goes to +-inf as IEEE 754 says.
  double round_nearest_even(double x) const;
  // Correct rounding of the unevaluated sum hi + lo, where |lo| <= ulp(hi)/2 in double.
  double round_nearest_even(double hi, double lo) const;
  // Next representable value toward +inf / -inf (finite inputs).
  double next_up(double x) const;
  double next_down(double x) const;
};

inline constexpr BinaryFormat kFormatF32{24, -126, 127};
inline constexpr BinaryFormat kFormatF16{11, -14, 15};
inline constexpr BinaryFormat kFormatBF16{8, -126, 127};

// Signed distance in units of the format's representable values ("ulps") between
// two finite values of the format: 0 when equal, 1 for neighbours.
int64_t ordinal(const BinaryFormat& f, double x);

}  // namespace flashcheck
