#pragma once
// Variants of a case that the absolute rules and the diagnosis run a subject on. Each
// changes one thing (K/V at chosen keys, the mask's infinities, Q, V's scale, the K/V
// storage, the key length) and keeps every other input bit for bit, so a subject's
// different behaviour on the variant points at that one thing.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/attention_case.hpp"

namespace flashcheck {

// Which (query, key) pairs the case's mask hides (bias -inf). The mask is shared by
// every batch entry and head, so one [Lq][Lk] table describes the whole case.
class KeyVisibility {
 public:
  explicit KeyVisibility(const AttentionCase& c);

  int64_t lq() const { return lq_; }
  int64_t lk() const { return lk_; }
  bool hidden(int64_t i, int64_t j) const { return hidden_[static_cast<size_t>(i * lk_ + j)] != 0; }
  int64_t hidden_count(int64_t i) const { return hidden_count_[static_cast<size_t>(i)]; }
  bool row_sees_a_key(int64_t i) const { return hidden_count(i) < lk_; }
  bool any_hidden() const;
  // Keys no query row sees (rows that see no key at all do not count against a key).
  std::vector<int64_t> hidden_from_every_row() const;
  std::vector<int64_t> hidden_from_row(int64_t i) const;
  // Keys some rows see and others do not: where a mask bug shows first.
  std::vector<int64_t> boundary_keys() const;
  // Among rows that see a key, the one that hides the most keys (first on ties); -1 when
  // no such row hides a key.
  int64_t most_hiding_row() const;
  // Rows that see a key and hide every key of `keys`.
  std::vector<int64_t> rows_hiding_all(const std::vector<int64_t>& keys) const;

 private:
  int64_t lq_, lk_;
  std::vector<uint8_t> hidden_;        // [lq][lk]
  std::vector<int64_t> hidden_count_;  // [lq]
};

// The value written at element (batch, kv head, key, d) of K or V.
using KvValueFn = std::function<double(int64_t b, int64_t head, int64_t key, int64_t d)>;

// The case with K (and V, when v_value is set) replaced at the listed keys, in every
// batch entry and KV head. Plain tensors store the values rounded to their dtype.
// Quantized K/V get the values quantized into those keys' rows (the bytes of every other
// row are kept, edited ones included); values are then in the unrotated source domain
// and must be finite (std::invalid_argument otherwise).
AttentionCase with_kv_at_keys(const AttentionCase& c, const std::vector<int64_t>& keys, const KvValueFn& k_value,
                              const KvValueFn& v_value);

// The case with every hidden (query, key) pair given the bias `hidden` in one explicit f32
// mask (the other entries keep their explicit bias, or 0; ALiBi, when on, still adds its
// position bias). keep_structural: the causal / window mask stays on as well, so the
// kernel's own masking still runs and the explicit mask repeats it; otherwise the mask
// becomes explicit only. With a finite `hidden` the oracle weighs those keys by
// exp(hidden - m) instead of hiding them.
AttentionCase with_explicit_mask(const AttentionCase& c, float hidden, bool keep_structural);

// The case with Q = 0: every score is 0 before the mask's bias, the most benign scores.
AttentionCase with_zero_q(const AttentionCase& c);

// The case with no mask at all (structural or explicit): every key visible to every row.
AttentionCase with_no_mask(const AttentionCase& c);

// The case with V multiplied by 2^-shift (values rounded to V's dtype, so only values that
// fall into its subnormal range change beyond the power of two). Plain V only:
// std::invalid_argument for quantized V.
AttentionCase with_v_scaled_down(const AttentionCase& c, int shift);

// The same attention without block storage: K and V as plain f32 tensors holding the
// dequantized values, and Q already rotated when K was Hadamard-rotated (the kernel then
// has nothing to rotate). The oracle's inputs are unchanged, so is its result.
AttentionCase with_plain_kv(const AttentionCase& c);

// The same bytes rearranged into the other row layout (AoS <-> SoA); nullopt with *why
// set when the case has no quantized K/V or the rearranged rows do not decode to the
// same values.
std::optional<AttentionCase> with_swapped_kv_layout(const AttentionCase& c, std::string* why);

// The first `lk` keys of the case (K, V, quantized rows, explicit mask columns). Under a
// causal or window mask the query rows are cut to the first min(Lq, lk) as well, so the
// shorter case stays a prefill/decode case of the same kind.
AttentionCase with_key_prefix(const AttentionCase& c, int64_t lk);

}  // namespace flashcheck
