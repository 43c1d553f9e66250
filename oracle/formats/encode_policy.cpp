#include "oracle/formats/encode_policy.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/named_values.hpp"

namespace flashcheck::formats {

namespace {

constexpr std::array<std::pair<Rounding, std::string_view>, 5> kRoundingNames{{
    {Rounding::nearest_even, "nearest_even"},
    {Rounding::toward_zero, "toward_zero"},
    {Rounding::toward_pos_inf, "toward_pos_inf"},
    {Rounding::toward_neg_inf, "toward_neg_inf"},
    {Rounding::nearest_away, "nearest_away"},
}};
constexpr std::array<std::pair<Overflow, std::string_view>, 2> kOverflowNames{{
    {Overflow::saturate, "saturate"},
    {Overflow::to_inf_or_nan, "to_inf_or_nan"},
}};
constexpr std::array<std::pair<NanPolicy, std::string_view>, 3> kNanNames{{
    {NanPolicy::to_nan, "to_nan"},
    {NanPolicy::to_zero, "to_zero"},
    {NanPolicy::to_max, "to_max"},
}};

[[noreturn]] void reject(const ElementFormat& f, std::string_view policy, std::string_view why) {
  throw std::invalid_argument("encode policy " + std::string(policy) + " is not valid for " + std::string(f.name) +
                              ": " + std::string(why));
}

}  // namespace

std::string_view name(Rounding r) { return name_in<Rounding>(kRoundingNames, r, "policy value"); }
std::string_view name(Overflow o) { return name_in<Overflow>(kOverflowNames, o, "policy value"); }
std::string_view name(NanPolicy n) { return name_in<NanPolicy>(kNanNames, n, "policy value"); }
std::optional<Rounding> parse_rounding(std::string_view s) { return value_named<Rounding>(kRoundingNames, s); }
std::optional<Overflow> parse_overflow(std::string_view s) { return value_named<Overflow>(kOverflowNames, s); }
std::optional<NanPolicy> parse_nan_policy(std::string_view s) { return value_named<NanPolicy>(kNanNames, s); }

EncodePolicy default_policy(const ElementFormat& f) {
  return {Rounding::nearest_even, Overflow::saturate, f.has_nan() ? NanPolicy::to_nan : NanPolicy::to_zero};
}

void check_policy(const ElementFormat& f, const EncodePolicy& p) {
  if (p.overflow == Overflow::to_inf_or_nan && !f.has_inf && !f.has_nan())
    reject(f, "overflow=to_inf_or_nan", "the format has neither infinity nor NaN; use overflow=saturate");
  if (p.nan == NanPolicy::to_nan && !f.has_nan())
    reject(f, "nan=to_nan", "the format has no NaN; use nan=to_zero or nan=to_max");
  if (p.nan == NanPolicy::to_zero && !f.has_zero)
    reject(f, "nan=to_zero", "the format has no zero; use nan=to_nan or nan=to_max");
}

}  // namespace flashcheck::formats
