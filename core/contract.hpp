#pragma once
// A contract: what a kernel promises about its arithmetic and its conventions. The
// verdict derives every budget from it (docs/tolerance.md, "Contracts"): the kernel
// is compared with the exact oracle, and its error is allowed to be a stated multiple
// of what the textbook kernel doing exactly the contract's arithmetic gets wrong.
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/attention_case.hpp"

namespace flashcheck {

// The base of the log-sum-exp a kernel returns.
enum class LseBase : uint8_t { natural, two };

// What a row with no visible key (and no sink) must produce. The oracle always computes
// the default (O = 0, LSE = -inf) and flags the row; the verdict applies the contract's.
enum class MaskedRowPolicy : uint8_t {
  zeros_neg_inf_lse,  // O = 0, LSE = -inf (the default)
  nan_o_neg_inf_lse,  // O = NaN (0/0), LSE = -inf (log 0): MLX's fused SDPA
  unspecified,        // no promise: the rows are not judged (a kernel that substitutes a finite sentinel)
};

struct Contract {
  std::string_view name;
  std::string_view description;
  // Precision Q, K, P and V are rounded to before the two matrix products (the
  // operands of tensor cores / matrix units). Storage dtypes come from the case.
  DType operands = DType::f32;
  // Precision of the scores, the softmax statistics (m, l) and the O accumulator.
  DType accumulation = DType::f32;
  MaskedRowPolicy fully_masked = MaskedRowPolicy::zeros_neg_inf_lse;
  LseBase lse_base = LseBase::natural;
  // True when K/V at masked positions never influence O whatever they hold (inf and
  // NaN included); false when the kernel multiplies them by a zero weight, so only
  // finite values there are harmless (tile matmuls over masked keys).
  bool masked_kv_unread = true;
  // Finite explicit-mask values at or below this hide their key (the kernel maps them to
  // its sentinel); -inf when every finite value is an additive bias.
  double hides_at_or_below = -std::numeric_limits<double>::infinity();
  // Largest |score| the kernel represents (its score tiles or sentinel are in a narrow
  // type); a case whose scores may exceed it is outside the contract. +inf: no limit.
  double max_abs_score = std::numeric_limits<double>::infinity();
  // Budget constants (derivation in docs/tolerance.md): the kernel may be this many
  // times as wrong as the contract reference, plus this many ulps of the output dtype.
  double reference_factor = 4.0;
  double output_ulps = 2.0;
};

// The named contracts, the default ("fp32") first.
std::span<const Contract> all_contracts();
const Contract* find_contract(std::string_view name);
const Contract& default_contract();
// The named contract; std::invalid_argument naming the known ones otherwise.
const Contract& contract_named(std::string_view name);
// Comma-separated names, for messages.
std::string contract_names();
// One line: accumulation, operands, fully masked policy, LSE base, masked K/V.
std::string describe(const Contract& c);

// Why the case lies outside what the contract promises, or nullopt. A kernel that
// multiplies masked K/V by a zero weight (masked_kv_unread false) promises nothing when
// K or V holds inf or NaN: 0 x inf is NaN by IEEE, not a bug of the kernel. Nor does
// one that reads low finite mask values as "hidden" promise additive biases that low.
std::optional<std::string> outside_contract(const Contract& contract, const AttentionCase& c);

std::string to_string(LseBase b);
std::string to_string(MaskedRowPolicy p);

}  // namespace flashcheck
