#pragma once
// Transformations of a case whose exact answer is known to be unchanged: the inputs
// of metamorphic properties (a kernel must give the same O on both sides).
#include "core/attention_case.hpp"

namespace flashcheck {

// The same attention with one KV head per query head (Hkv = Hq), each a copy of the KV
// head the query head reads: grouped-query attention written as multi-head attention.
// K/V keep their dtypes (contiguous). Throws std::invalid_argument for quantized K/V,
// whose bytes cover the original heads.
AttentionCase with_replicated_kv_heads(const AttentionCase& grouped);

}  // namespace flashcheck
