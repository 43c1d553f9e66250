#pragma once
// Transformations of a case whose exact answer is known (unchanged, or changed in a
// stated way): the inputs of metamorphic properties. Each is exact: it moves stored bits
// or changes values only where the new value is representable, and throws
// std::invalid_argument (naming the problem) rather than round anything.
#include <cstdint>
#include <vector>

#include "core/attention_case.hpp"

namespace flashcheck {

// The same attention with one KV head per query head (Hkv = Hq), each a copy of the KV
// head the query head reads: grouped-query attention written as multi-head attention.
// K/V keep their dtypes (contiguous). Throws std::invalid_argument for quantized K/V,
// whose bytes cover the original heads.
AttentionCase with_replicated_kv_heads(const AttentionCase& grouped);

// The causal / sliding-window mask written as -inf entries of one explicit mask, merged
// with the case's explicit mask if it has one (whose dtype is kept; f32 otherwise), and
// mask kind explicit_only. bias(i, j) is unchanged for every i, j: ALiBi's position term
// is computed from positions under every mask kind. A case without a structural mask is
// returned as is.
AttentionCase with_structural_mask_as_explicit(const AttentionCase& c);

// Key positions reordered: key j of the result is key order[j] of c, in K, V (their
// quantized rows and sources too) and the explicit mask's column j. Softmax is a sum over
// keys, so O and LSE are unchanged. Needs scores that do not depend on positions: no
// causal / window mask (with_structural_mask_as_explicit converts one) and no ALiBi.
// Throws std::invalid_argument for those, or when order is not a permutation of 0..Lk-1.
AttentionCase with_permuted_kv(const AttentionCase& c, const std::vector<int64_t>& order);

// Adds shift[i] to every score of query row i, through the explicit mask (f32 in the
// result; a zero mask is created when the case has none, mask kind none becoming
// explicit_only). Softmax is invariant under a constant per row, so O is unchanged; the
// exact LSE of row i of head h grows by slope(h) * shift[i]. Sinks share the softmax
// denominator, so they are shifted with the rows: that needs one shift for every row and
// no ALiBi (whose slope would multiply the shift but not the sink). Throws
// std::invalid_argument when shift does not hold Lq values, a shifted mask entry or sink
// is not exactly representable in f32, or the sink conditions fail.
AttentionCase with_row_score_shift(const AttentionCase& c, const std::vector<float>& shift);

// V multiplied by 2^exponent in its own dtype (and layout). O = softmax(s) V scales by
// exactly 2^exponent; LSE is unchanged. Throws std::invalid_argument when a scaled value
// overflows or loses bits in the subnormal range, and for quantized V.
AttentionCase with_v_scaled_by_power_of_two(const AttentionCase& c, int exponent);

// For Hadamard-rotated quantized K: the same attention with Q supplied already rotated
// (Q := rotated_q, f32) and K's bytes marked unrotated, so a kernel does not rotate Q
// itself. The oracle reads exactly the same values on both sides (rotated_q and the
// dequantized K), so O and LSE are unchanged. K's source becomes its rotation rounded to
// f32 (rotate_q_rows), the values the bytes were quantized from. Throws
// std::invalid_argument for a case without Hadamard-rotated K.
AttentionCase with_prerotated_q(const AttentionCase& c);

}  // namespace flashcheck
