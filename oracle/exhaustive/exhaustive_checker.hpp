#pragma once
// One checker for every format: runs f32 inputs through an encoder under test and
// through the expected encoder, and reports the mismatches (count and the first ones
// by input bits). Inputs are either a given list (the stratified slice) or a sweep of
// f32 bit patterns, split into chunks over threads, up to all 2^32 of them.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace flashcheck::exhaustive {

// An encoder seen by the checker: codes[i] = code of the f32 with bits inputs[i]. It is
// called on blocks of a few thousand inputs, so one indirect call serves a block.
using BlockEncoder = std::function<void(std::span<const uint32_t> inputs, std::span<uint8_t> codes)>;

// A BlockEncoder from a per-input callable (inlined into the block loop).
template <class PerInput>
BlockEncoder blockwise(PerInput encode_one) {
  return [encode_one](std::span<const uint32_t> inputs, std::span<uint8_t> codes) {
    for (size_t i = 0; i < inputs.size(); ++i) codes[i] = encode_one(inputs[i]);
  };
}

struct Mismatch {
  uint32_t input;
  uint8_t expected;
  uint8_t got;
};

struct CheckReport {
  uint64_t checked = 0;
  uint64_t mismatches = 0;
  std::vector<Mismatch> examples;  // the first ones in input order
  bool passed() const { return mismatches == 0; }
};

inline constexpr uint64_t kAllInputs = uint64_t{1} << 32;

struct SweepOptions {
  uint64_t count = kAllInputs;  // inputs are the bit patterns (i * stride) mod 2^32, i < count
  uint32_t stride = 1;          // odd strides visit every pattern once when count is 2^32
  unsigned threads = 0;         // 0: std::thread::hardware_concurrency()
  size_t max_examples = 10;
  // Called from the calling thread, about every progress_interval and once at the end.
  std::function<void(uint64_t done, uint64_t total)> progress;
  std::chrono::milliseconds progress_interval{500};
};

CheckReport check_inputs(const BlockEncoder& got, const BlockEncoder& expected, std::span<const uint32_t> inputs,
                         size_t max_examples = 10);
// Rethrows the first exception an encoder threw in a worker.
CheckReport check_sweep(const BlockEncoder& got, const BlockEncoder& expected, const SweepOptions& options);

// "input 0xbf800000 (-0x1p+0 = -1) expected 0xb8 got 0x38"
std::string describe(const Mismatch& m);
// Count line followed by one line per example.
std::string describe(const CheckReport& r);

}  // namespace flashcheck::exhaustive
