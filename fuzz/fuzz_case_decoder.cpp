// fuzz_case_decoder: arbitrary bytes -> decode_case_record (core/case_codec.hpp) under
// small limits. Besides never crashing, leaking or hanging, a decoded record must keep
// the codec's promises:
//   - it re-encodes to exactly the input bytes: the encoding is canonical, so a record
//     has one spelling and corpus files can be compared byte for byte (for a record of
//     an older version, which encode() upgrades, the upgraded bytes must be a fixpoint);
//   - a recipe generates without throwing, into a case that validates (recipe_problem());
//   - a raw case validates.
// Records end in a CRC-32, which random byte mutations nearly always break; the custom
// mutator below re-seals half of its outputs so the fuzzer reaches the field decoders.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "core/case_codec.hpp"
#include "core/generator.hpp"
#include "fuzz/support/fuzz_fail.hpp"

namespace flashcheck::fuzz {
namespace {

// Small enough that generating a decoded recipe stays cheap.
DecodeLimits small_limits() {
  DecodeLimits l;
  l.max_tensor_elements = int64_t{1} << 12;
  l.max_total_elements = int64_t{1} << 14;
  l.max_dimension = int64_t{1} << 10;
  l.max_string_bytes = 64;
  l.max_kills = 4;
  return l;
}

// CRC-32 (IEEE 802.3, reflected), the trailer of a record: docs/corpus-format.md.
uint32_t crc32(std::span<const uint8_t> bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

// Rewrites the last four bytes as the little-endian CRC-32 of the bytes before them.
void reseal(uint8_t* data, size_t size) {
  constexpr size_t kTrailer = 4;
  if (size < kTrailer) return;
  const uint32_t crc = crc32(std::span<const uint8_t>(data, size - kTrailer));
  for (size_t i = 0; i < kTrailer; ++i) data[size - kTrailer + i] = static_cast<uint8_t>(crc >> (8 * i));
}

size_t first_difference(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

std::vector<uint8_t> encode_or_fail(const CaseRecord& r, const char* what) {
  try {
    return encode_case_record(r);
  } catch (const std::exception& e) {
    fuzz_fail("%s does not re-encode: %s", what, e.what());
  }
}

void check_canonical(std::span<const uint8_t> input, const DecodeResult& d, const DecodeLimits& limits) {
  const std::vector<uint8_t> again = encode_or_fail(*d.record, "a decoded record");
  if (d.version == kCaseCodecVersion) {
    if (!std::ranges::equal(again, input)) {
      const size_t at = first_difference(input, again);
      fuzz_fail("non-canonical encoding accepted: %zu input bytes re-encode to %zu, first difference at offset %zu "
                "(input 0x%02x, re-encoded 0x%02x)",
                input.size(), again.size(), at, at < input.size() ? input[at] : 0u, at < again.size() ? again[at] : 0u);
    }
    return;
  }
  // An older version: encode() writes the current one; that must decode to itself.
  const DecodeResult upgraded = decode_case_record(again, limits);
  if (!upgraded.record) fuzz_fail("a record of version %u re-encodes to bytes the decoder rejects: %s",
                                  static_cast<unsigned>(d.version), upgraded.error.c_str());
  if (encode_or_fail(*upgraded.record, "an upgraded record") != again)
    fuzz_fail("a record of version %u does not reach a fixpoint after one upgrade", static_cast<unsigned>(d.version));
}

void check_case(const CaseRecord& r) {
  if (const auto* recipe = std::get_if<CaseRecipe>(&r.body)) {
    AttentionCase c;
    try {
      c = generate(*recipe);
    } catch (const std::exception& e) {
      fuzz_fail("a decoded recipe (%s) does not generate: %s", describe(*recipe).c_str(), e.what());
    }
    if (const std::string problems = validate(c); !problems.empty())
      fuzz_fail("a decoded recipe generates an invalid case: %s", problems.c_str());
    return;
  }
  if (const std::string problems = validate(std::get<AttentionCase>(r.body)); !problems.empty())
    fuzz_fail("a decoded raw case fails validate(): %s", problems.c_str());
}

}  // namespace
}  // namespace flashcheck::fuzz

// libFuzzer's own mutator; weak so the replay build, which never mutates, links without it.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size) __attribute__((weak));

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  if (LLVMFuzzerMutate == nullptr) return size;
  const size_t n = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 2 == 0 && flashcheck::looks_like_binary_case(std::span<const uint8_t>(data, n)))
    flashcheck::fuzz::reseal(data, n);
  return n;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flashcheck;
  using namespace flashcheck::fuzz;
  static const DecodeLimits limits = small_limits();
  const std::span<const uint8_t> input(data, size);
  const DecodeResult d = decode_case_record(input, limits);
  if (!d.record) {
    if (d.error.empty()) fuzz_fail("a rejected input carries no reason");
    return 0;
  }
  if (!d.error.empty()) fuzz_fail("a decoded record also carries an error: %s", d.error.c_str());
  if (!looks_like_binary_case(input)) fuzz_fail("a decoded record does not start with the binary magic");
  check_canonical(input, d, limits);
  check_case(*d.record);
  return 0;
}
