#pragma once
// What fuzz_attention accepts as a case, shared by the target, its mutator and the seed
// writer: small shapes (the oracle and every subject run on each input, so a case must
// cost well under a millisecond) and inputs whose exact attention is defined.
#include <cstdint>
#include <string>
#include <vector>

#include "core/attention_case.hpp"
#include "core/case_codec.hpp"

namespace flashcheck::fuzz {

struct AttentionShapeLimits {
  int64_t batch = 2;
  int64_t heads = 4;  // Hq (Hkv divides it)
  int64_t lq = 8;
  int64_t lk = 96;
  int64_t dim = 64;  // Dk and Dv
};
inline constexpr AttentionShapeLimits kAttentionShapeLimits{};

// Decoder bounds matching the shape limits, so an oversized record is refused before
// anything is allocated.
DecodeLimits attention_decode_limits();

// Empty when the shape is within the limits; otherwise which dimension is too large.
std::string shape_limit_problem(const CaseShape& s, const AttentionShapeLimits& limits = kAttentionShapeLimits);

// Per key j: 1 when every query row hides it (bias(i, j) = -inf for all i), whatever
// the head and batch (the mask does not depend on them).
std::vector<uint8_t> keys_hidden_from_every_row(const AttentionCase& c);

// Empty when the exact attention of the case is defined: Q (and rotated Q) finite, the
// mask free of NaN and +inf, K and V non-finite only at keys hidden from every row,
// except NaN in block-quantized V (an E8M0 NaN scale, which the oracle propagates).
// Otherwise the first offending element, named.
std::string oracle_definedness_problem(const AttentionCase& c);

}  // namespace flashcheck::fuzz
