#pragma once
// Fast exact encoder for sweeps over every f32: the oracle's encode() is exact but
// too slow for 2^32 calls, so the points where its result changes are found once
// (bisection over f32 ordinals) and every later lookup reads a table. Exactness
// rests on the code being piecewise constant in the magnitude, and on a NaN's code
// depending only on its sign; the tests check both against encode() on the
// stratified slice, and `flashcheck exhaustive --encoder oracle` over all 2^32.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::exhaustive {

class DecisionTable {
 public:
  // The code of f32 bits as the table must reproduce it.
  using Reference = std::function<uint8_t(uint32_t bits)>;

  // Tabulates encode() under the policy. Throws std::invalid_argument when the policy
  // does not fit the format.
  DecisionTable(const formats::ElementFormat& format, const formats::EncodePolicy& policy);
  // Tabulates another reference with the same shape (encode() with documented
  // deviations, for instance); format and policy only describe it.
  DecisionTable(const formats::ElementFormat& format, const formats::EncodePolicy& policy, const Reference& reference);

  uint8_t encode_bits(uint32_t bits) const {
    const uint32_t sign = bits >> 31;
    const uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > kInfBits) return nan_code_[sign];
    const uint16_t block = block_code_[bits >> kBlockShift];
    if (block != kMixedBlock) return static_cast<uint8_t>(block);
    return lookup(sign, magnitude);
  }

  // out[i] = encode_bits(inputs[i]). Inputs that share one table block of a single
  // code (as a sweep's consecutive inputs mostly do) are filled without lookups.
  void encode_block(std::span<const uint32_t> inputs, std::span<uint8_t> out) const;

  const formats::ElementFormat& format() const { return *format_; }
  const formats::EncodePolicy& policy() const { return policy_; }
  // Runs of consecutive magnitudes (f32 bits without the sign) with one code, per sign.
  size_t run_count(bool negative) const { return runs_[negative ? 1 : 0].size() - 1; }

 private:
  static constexpr uint32_t kInfBits = 0x7F800000u;
  static constexpr int kBlockShift = 16;               // one table entry per 2^16 consecutive f32s
  static constexpr uint16_t kMixedBlock = 0x100;       // block holds a boundary: search the runs
  struct Run {
    uint32_t first;  // smallest magnitude of the run
    uint8_t code;
  };

  uint8_t lookup(uint32_t sign, uint32_t magnitude) const;
  void build_runs(bool negative, const Reference& reference);
  void build_blocks();

  const formats::ElementFormat* format_;
  formats::EncodePolicy policy_;
  std::array<std::vector<Run>, 2> runs_;
  std::array<uint8_t, 2> nan_code_{};
  std::vector<uint16_t> block_code_;
};

}  // namespace flashcheck::exhaustive
