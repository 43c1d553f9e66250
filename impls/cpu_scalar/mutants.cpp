#include "impls/cpu_scalar/mutants.hpp"

#include <array>
#include <stdexcept>

namespace flashcheck::cpu_scalar {

std::span<const MutantEntry> all_mutants() {
  static const std::array<MutantEntry, 9> table{{
      {Mutant::vkq16,
       {"vkq16", "000", "drift",
        "the V accumulator is held in f16 and rounded after every update (ggml's VKQ16 path)"}},
      {Mutant::neg_inf_init,
       {"neg-inf-init", "004", "nan-from-inf",
        "the running max starts at -inf, hidden keys are found by an IEEE inf test and exp(M_old - M_new) is "
        "unguarded: a finite-math build drops the test and gets exp(-inf - -inf) = NaN"}},
      {Mutant::inf_plus_slope_mask,
       {"inf-plus-slope-mask", "004", "nan-from-inf",
        "no visibility test: every key is scored as s + slope * mask with mask = -inf, relying on IEEE inf to "
        "zero the hidden weights"}},
      {Mutant::gqa_head_modulo,
       {"gqa-head-modulo", "-", "wrong-result", "the KV head of query head h is h % Hkv instead of h / (Hq / Hkv)"}},
      {Mutant::causal_offset,
       {"causal-offset", "-", "masked-key-leak",
        "the causal test is j <= i, ignoring the Lk - Lq offset of the query positions"}},
      {Mutant::soa_head_offset_twice,
       {"soa-head-offset-twice", "001", "layout-mismatch",
        "in SoA rows the head's scale offset is added twice (the scale index wraps inside the row)"}},
      {Mutant::nibble_order_swapped,
       {"nibble-order-swapped", "001", "layout-mismatch",
        "4-bit codes are read with the other nibble order (adjacent vs split halves)"}},
      {Mutant::mx_scale_round,
       {"mx-scale-round", "001", "wrong-result",
        "the write path's MX quantizer takes X = round(log2 amax) - emax instead of floor(log2 amax) - emax"}},
      {Mutant::e8m0_ff_as_inf,
       {"e8m0-ff-as-inf", "001", "nan-from-inf",
        "the E8M0 scale 0xFF (NaN) is decoded by the plain exponent shift, as 2^128 = inf"}},
  }};
  return table;
}

const MutantInfo& mutant_info(Mutant m) {
  for (const MutantEntry& e : all_mutants())
    if (e.id == m) return e.info;
  throw std::invalid_argument("cpu-scalar: no mutant entry for this switch");
}

std::optional<Mutant> parse_mutant(std::string_view name) {
  if (name.empty()) return Mutant::none;
  for (const MutantEntry& e : all_mutants())
    if (e.info.name == name) return e.id;
  return std::nullopt;
}

}  // namespace flashcheck::cpu_scalar
