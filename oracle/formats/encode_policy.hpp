#pragma once
// Named policies for encoding a real value into an element format: how to round,
// what an overflow becomes, what a NaN becomes. Each enum has a printable name that
// parses back; docs/formats.md states the exact semantics of every choice.
#include <cstdint>
#include <optional>
#include <string_view>

#include "oracle/formats/element_format.hpp"

namespace flashcheck::formats {

enum class Rounding : uint8_t { nearest_even, toward_zero, toward_pos_inf, toward_neg_inf, nearest_away };
// saturate: overflow gives +-max_finite. to_inf_or_nan: IEEE 754 overflow (7.4): +-inf
// when rounding away from zero for that sign, +-max otherwise; NaN stands in for inf
// in formats without inf, and formats with neither reject this policy.
enum class Overflow : uint8_t { saturate, to_inf_or_nan };
// What a NaN input (and, for the unsigned E8M0, any input <= 0) becomes.
enum class NanPolicy : uint8_t { to_nan, to_zero, to_max };

struct EncodePolicy {
  Rounding rounding = Rounding::nearest_even;
  Overflow overflow = Overflow::saturate;
  NanPolicy nan = NanPolicy::to_nan;
};

std::string_view name(Rounding r);
std::string_view name(Overflow o);
std::string_view name(NanPolicy n);
std::optional<Rounding> parse_rounding(std::string_view s);
std::optional<Overflow> parse_overflow(std::string_view s);
std::optional<NanPolicy> parse_nan_policy(std::string_view s);

// The policy every format accepts: nearest-even, saturate, and NaN to the format's
// NaN where it has one, else to zero.
EncodePolicy default_policy(const ElementFormat& f);

// Throws std::invalid_argument naming the format and the policy when the format
// cannot honour it: to_inf_or_nan without inf or NaN, to_nan without NaN, to_zero without zero.
void check_policy(const ElementFormat& f, const EncodePolicy& p);

}  // namespace flashcheck::formats
