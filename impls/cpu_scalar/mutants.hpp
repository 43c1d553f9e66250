#pragma once
// The seeded bugs of the cpu-scalar kernel family: one switch each, looked up by name.
#include <optional>
#include <span>
#include <string_view>

#include "core/backend.hpp"

namespace flashcheck::cpu_scalar {

enum class Mutant : uint8_t {
  none,
  vkq16,                  // V accumulator held in f16
  neg_inf_init,           // running max starts at -inf; hidden keys found by an IEEE inf test
  inf_plus_slope_mask,    // no visibility test: relies on s + slope * (-inf) = -inf
  gqa_head_modulo,        // kv head = h % Hkv
  causal_offset,          // causal test without the Lk - Lq offset
  soa_head_offset_twice,  // SoA rows: the head's scale offset added twice
  nibble_order_swapped,   // 4-bit codes read with the other nibble order
  mx_scale_round,         // write path: round(log2 amax) instead of floor
  e8m0_ff_as_inf,         // E8M0 scale 0xFF decoded as 2^128 = inf instead of NaN
};

struct MutantEntry {
  Mutant id;
  MutantInfo info;
};

std::span<const MutantEntry> all_mutants();
const MutantInfo& mutant_info(Mutant m);
// "" is Mutant::none; nullopt for a name no entry has.
std::optional<Mutant> parse_mutant(std::string_view name);

}  // namespace flashcheck::cpu_scalar
