#pragma once
// What an encoder under test must produce: the oracle's code under a named policy,
// except for explicitly listed input classes where a vendor documents other results
// (NVIDIA's E8M0 conversion encodes |x|, for instance). A check against an
// Expectation therefore passes only when every difference from the policy is one
// of the listed ones.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "oracle/exhaustive/decision_table.hpp"

namespace flashcheck::exhaustive {

enum class InputClass : uint8_t {
  positive_nan,
  negative_nan,
  positive_zero,
  negative_zero,
  negative_nonzero,  // finite or infinite, below zero
  // A negative number (finite or -inf, not NaN) that the policy encodes as NaN: which
  // NaN code a format with several carries the sign is the encoder's choice.
  negative_number_to_nan,
};

enum class DeviationResult : uint8_t {
  fixed_code,    // every input of the class gives `code`
  of_magnitude,  // the input gives what the policy gives for its absolute value
};

struct Deviation {
  InputClass inputs;
  DeviationResult result;
  uint8_t code;  // for fixed_code
  std::string_view reason;
};

std::string_view name(InputClass c);
// `policy_code` is what the policy gives for `bits` (only negative_number_to_nan reads it).
bool in_class(const formats::ElementFormat& f, InputClass c, uint32_t bits, uint8_t policy_code);

class Expectation {
 public:
  Expectation(const formats::ElementFormat& format, const formats::EncodePolicy& policy,
              std::span<const Deviation> deviations = {});

  // Through the decision table, which tabulates oracle_code(), deviations included:
  // fast enough for 2^32 inputs.
  uint8_t code(uint32_t bits) const { return table_.encode_bits(bits); }
  void code_block(std::span<const uint32_t> inputs, std::span<uint8_t> codes) const {
    table_.encode_block(inputs, codes);
  }
  // Through the oracle's encode(): the reference the table is checked against.
  uint8_t oracle_code(uint32_t bits) const;

  const DecisionTable& table() const { return table_; }
  std::span<const Deviation> deviations() const { return deviations_; }

 private:
  uint8_t encode_code(uint32_t bits) const;

  const formats::ElementFormat* format_;
  formats::EncodePolicy policy_;
  std::vector<Deviation> deviations_;  // before table_: the table is built from oracle_code()
  DecisionTable table_;
};

}  // namespace flashcheck::exhaustive
