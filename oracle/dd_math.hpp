#pragma once
// Elementary functions in double-double with stated relative error bounds.
// Derivations are in docs/oracle.md; tests compare against MPFR and check the
// measured error stays well inside each bound.
#include "oracle/double_double.hpp"

namespace flashcheck::dd {

// |exp_dd(x) - e^x| <= kExpRel * e^x + kExpAbs for x <= 709.
inline constexpr double kExpRel = 0x1p-96;
inline constexpr double kExpAbs = 0x1p-1060;  // results below 2^-969 lose their lo word
DD exp_dd(DD x);

// |expm1_dd(x) - (e^x - 1)| <= kExpm1Rel * |e^x - 1| for 0 <= x <= 354.
inline constexpr double kExpm1Rel = 0x1p-87;
DD expm1_dd(DD x);

// |tanh_dd(x) - tanh(x)| <= kTanhRel * |tanh(x)| + kTanhAbs.
inline constexpr double kTanhRel = 0x1p-85;
inline constexpr double kTanhAbs = 0x1p-1000;
DD tanh_dd(DD x);

// log of a positive double-double. Returns the value and an absolute error bound
// derived a posteriori from the size of the Newton correction (no libm accuracy
// assumption is needed beyond |log(hi) - log x| < 1/4).
struct LogResult {
  DD value;
  double abs_error;
};
LogResult log_dd(DD x);

}  // namespace flashcheck::dd
