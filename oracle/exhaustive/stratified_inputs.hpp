#pragma once
// A slice of the f32 inputs that runs in milliseconds yet reaches every decision an
// encoder makes: every exponent with edge and random mantissas, every value of the
// format with its f32 neighbours, the midpoints between neighbouring values (ties)
// with theirs, the overflow threshold, subnormals, signed zeros, infinities, and NaN
// payloads (quiet and signalling, both signs). Returned as sorted, distinct f32 bits.
#include <cstdint>
#include <vector>

#include "oracle/formats/element_format.hpp"

namespace flashcheck::exhaustive {

std::vector<uint32_t> stratified_inputs(const formats::ElementFormat& f, uint64_t seed = 20261123);

}  // namespace flashcheck::exhaustive
