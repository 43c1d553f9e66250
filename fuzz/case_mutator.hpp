#pragma once
// A structure-aware mutator for fuzz_attention: it decodes the input record, changes
// the case in case space (shape, dtypes, mask, distribution, options, quantized KV, or
// single values of a raw case) and encodes it again, so every output is a record the
// target accepts: it decodes within attention_decode_limits(), its case validates and
// its exact attention is defined (fuzz/attention_fuzz_case.hpp). Deterministic: the
// same input, size limit and seed give the same output.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace flashcheck::fuzz {

enum class CaseMutation : uint8_t {
  fresh_recipe,     // the input did not decode (or nothing else applied): a random small recipe
  query_length,     // Lq
  key_length,       // Lk, tile edges first
  heads,            // Hq, Hkv with Hq % Hkv == 0
  head_dims,        // Dk, Dv
  batch,
  dtypes,           // Q / K / V / O storage types
  mask_pattern,     // mask pattern name and window
  distribution,
  score_options,    // scale, softcap, ALiBi max_bias, sinks
  quantized_kv,     // K / V block scheme, AoS / SoA, Hadamard, E8M0 NaN scale
  layout,           // physical layout of Q / K / V
  seed,
  to_raw,           // the recipe's generated case as a raw record
  raw_special_value,     // +-0, subnormals, max finite, huge values at any element
  raw_hidden_nonfinite,  // +-inf / NaN in K or V at a key every row hides
  raw_mask_entry,        // -inf, large negative finite or 0 at one mask entry
  raw_masked_row,        // a whole query row hidden
  raw_bit_flip,          // one bit of a value (or of a quantized K / V byte)
  raw_options,           // scale, softcap, max_bias, sink values of a raw case
  cross_over,            // recipe fields of one record with the rest of another
};
inline constexpr size_t kCaseMutationCount = static_cast<size_t>(CaseMutation::cross_over) + 1;

std::string_view mutation_name(CaseMutation m);

struct MutationOutcome {
  std::vector<uint8_t> bytes;  // the new record, at most max_size bytes
  CaseMutation kind = CaseMutation::fresh_recipe;
};

// One mutation of `input` (any bytes). The result always decodes and is accepted by
// fuzz_attention; when it would exceed max_size the mutation falls back to a recipe.
MutationOutcome mutate_case_record(std::span<const uint8_t> input, size_t max_size, uint64_t seed);

// Recipe fields taken from `a` and `b` at random (the shape as a whole, so it stays
// consistent); a fresh recipe when either does not decode to a recipe.
MutationOutcome cross_over_case_records(std::span<const uint8_t> a, std::span<const uint8_t> b, size_t max_size,
                                        uint64_t seed);

}  // namespace flashcheck::fuzz
