#pragma once
// Exact codecs between doubles and element-format codes. encode() computes the
// correctly rounded result with integer significands and power-of-two scaling only
// (no casts through narrower floats), so it is exact for every double input, and so
// for every float. Semantics of each policy: docs/formats.md.
#include <cstdint>

#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::formats {

// Throws std::invalid_argument when the policy does not fit the format (check_policy).
uint8_t encode(const ElementFormat& f, double x, const EncodePolicy& p);
// Exact value of a code; NaN codes give a quiet NaN. A code wider than the format throws.
double decode(const ElementFormat& f, uint8_t code);

bool is_nan_code(const ElementFormat& f, uint8_t code);
bool is_inf_code(const ElementFormat& f, uint8_t code);
// Positive codes of the largest finite value and of +inf (the latter only where has_inf).
uint8_t max_finite_code(const ElementFormat& f);
uint8_t inf_code(const ElementFormat& f);

}  // namespace flashcheck::formats
