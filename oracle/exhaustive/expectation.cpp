#include "oracle/exhaustive/expectation.hpp"

#include <array>
#include <bit>
#include <utility>

#include "oracle/formats/element_codec.hpp"

namespace flashcheck::exhaustive {

namespace {

constexpr uint32_t kSignBit = 0x80000000u;
constexpr uint32_t kInfBits = 0x7F800000u;

constexpr std::array<std::pair<InputClass, std::string_view>, 6> kClassNames{{
    {InputClass::positive_nan, "positive NaN"},
    {InputClass::negative_nan, "negative NaN"},
    {InputClass::positive_zero, "+0"},
    {InputClass::negative_zero, "-0"},
    {InputClass::negative_nonzero, "negative nonzero (finite or -inf)"},
    {InputClass::negative_number_to_nan, "negative number encoded as NaN (overflow, -inf)"},
}};

}  // namespace

std::string_view name(InputClass c) {
  for (const auto& [value, text] : kClassNames)
    if (value == c) return text;
  return "unknown input class";
}

bool in_class(const formats::ElementFormat& f, InputClass c, uint32_t bits, uint8_t policy_code) {
  const bool negative = (bits & kSignBit) != 0;
  const uint32_t magnitude = bits & ~kSignBit;
  switch (c) {
    case InputClass::positive_nan: return !negative && magnitude > kInfBits;
    case InputClass::negative_nan: return negative && magnitude > kInfBits;
    case InputClass::positive_zero: return bits == 0;
    case InputClass::negative_zero: return bits == kSignBit;
    case InputClass::negative_nonzero: return negative && magnitude != 0 && magnitude <= kInfBits;
    case InputClass::negative_number_to_nan:
      return negative && magnitude <= kInfBits && formats::is_nan_code(f, policy_code);
  }
  return false;
}

Expectation::Expectation(const formats::ElementFormat& format, const formats::EncodePolicy& policy,
                         std::span<const Deviation> deviations)
    : format_(&format),
      policy_(policy),
      deviations_(deviations.begin(), deviations.end()),
      table_(format, policy, [this](uint32_t bits) { return oracle_code(bits); }) {}

uint8_t Expectation::encode_code(uint32_t bits) const {
  return formats::encode(*format_, static_cast<double>(std::bit_cast<float>(bits)), policy_);
}

uint8_t Expectation::oracle_code(uint32_t bits) const {
  const uint8_t policy_code = encode_code(bits);
  for (const Deviation& d : deviations_) {
    if (!in_class(*format_, d.inputs, bits, policy_code)) continue;
    return d.result == DeviationResult::fixed_code ? d.code : encode_code(bits & ~kSignBit);
  }
  return policy_code;
}

}  // namespace flashcheck::exhaustive
