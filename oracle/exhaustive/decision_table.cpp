#include "oracle/exhaustive/decision_table.hpp"

#include <algorithm>
#include <bit>
#include <iterator>
#include <limits>

#include "oracle/formats/element_codec.hpp"

namespace flashcheck::exhaustive {

namespace {

uint8_t oracle_code(const formats::ElementFormat& f, const formats::EncodePolicy& p, uint32_t bits) {
  return formats::encode(f, static_cast<double>(std::bit_cast<float>(bits)), p);
}

}  // namespace

DecisionTable::DecisionTable(const formats::ElementFormat& format, const formats::EncodePolicy& policy)
    : DecisionTable(format, policy, [&format, policy](uint32_t bits) { return oracle_code(format, policy, bits); }) {}

DecisionTable::DecisionTable(const formats::ElementFormat& format, const formats::EncodePolicy& policy,
                             const Reference& reference)
    : format_(&format), policy_(policy) {
  formats::check_policy(format, policy);
  build_runs(false, reference);
  build_runs(true, reference);
  nan_code_[0] = reference(0x7FC00000u);
  nan_code_[1] = reference(0xFFC00000u);
  build_blocks();
}

// Walks the magnitudes 0 .. inf of one sign: from the start of each run, gallop to a
// magnitude with another code, then bisect to the first one (the run's end).
void DecisionTable::build_runs(bool negative, const Reference& reference) {
  const uint32_t sign = negative ? 0x80000000u : 0u;
  auto code_at = [&](uint32_t magnitude) { return reference(sign | magnitude); };
  std::vector<Run>& runs = runs_[negative ? 1 : 0];
  uint32_t first = 0;
  uint8_t code = code_at(0);
  while (true) {
    runs.push_back({first, code});
    // Gallop: a run never resumes after another code, so the first sample with another
    // code lies past this run's end (the zero run of E8M0 may share its code with the
    // saturated top, which is why the code at infinity proves nothing).
    uint32_t same = first;  // last magnitude known to give `code`
    uint64_t step = 1;
    uint32_t other = first;
    while (same < kInfBits) {
      other = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{same} + step, kInfBits));
      if (code_at(other) != code) break;
      same = other;
      step *= 2;
    }
    if (same == kInfBits) break;  // the run reaches infinity
    while (other - same > 1) {
      const uint32_t mid = same + (other - same) / 2;
      (code_at(mid) == code ? same : other) = mid;
    }
    first = other;
    code = code_at(other);
  }
  runs.push_back({kInfBits + 1, 0});  // sentinel: the end of the last run
}

void DecisionTable::build_blocks() {
  block_code_.assign(size_t{1} << (32 - kBlockShift), kMixedBlock);
  for (uint32_t sign = 0; sign < 2; ++sign) {
    const std::vector<Run>& runs = runs_[sign];
    for (size_t r = 0; r + 1 < runs.size(); ++r) {
      // Blocks wholly inside [first, next.first) take the run's code directly.
      const uint64_t lo = runs[r].first;
      const uint64_t end = runs[r + 1].first;  // exclusive
      const uint64_t block_size = uint64_t{1} << kBlockShift;
      for (uint64_t b = (lo + block_size - 1) >> kBlockShift; ((b + 1) << kBlockShift) <= end; ++b)
        block_code_[(uint64_t{sign} << (31 - kBlockShift)) | b] = runs[r].code;
    }
    // Blocks of NaNs only (every magnitude above infinity).
    for (uint32_t b = (kInfBits >> kBlockShift) + 1; b < (1u << (31 - kBlockShift)); ++b)
      block_code_[(sign << (31 - kBlockShift)) | b] = nan_code_[sign];
  }
}

void DecisionTable::encode_block(std::span<const uint32_t> inputs, std::span<uint8_t> out) const {
  if (inputs.empty()) return;
  const uint32_t block = inputs.front() >> kBlockShift;
  const uint16_t code = block_code_[block];
  if (code != kMixedBlock) {
    bool same_block = true;
    for (uint32_t bits : inputs) same_block &= (bits >> kBlockShift) == block;
    if (same_block) {
      std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(inputs.size()), static_cast<uint8_t>(code));
      return;
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) out[i] = encode_bits(inputs[i]);
}

uint8_t DecisionTable::lookup(uint32_t sign, uint32_t magnitude) const {
  const std::vector<Run>& runs = runs_[sign];
  const auto after = std::upper_bound(runs.begin(), runs.end(), magnitude,
                                      [](uint32_t m, const Run& run) { return m < run.first; });
  return std::prev(after)->code;
}

}  // namespace flashcheck::exhaustive
