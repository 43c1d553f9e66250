#include "oracle/exhaustive/policy_string.hpp"

#include <array>
#include <stdexcept>

namespace flashcheck::exhaustive {

namespace {

using formats::NanPolicy;
using formats::Overflow;
using formats::Rounding;

constexpr std::array kRoundings{Rounding::nearest_even, Rounding::toward_zero, Rounding::toward_pos_inf,
                                Rounding::toward_neg_inf, Rounding::nearest_away};
constexpr std::array kOverflows{Overflow::saturate, Overflow::to_inf_or_nan};
constexpr std::array kNanPolicies{NanPolicy::to_nan, NanPolicy::to_zero, NanPolicy::to_max};

template <class E, size_t N>
std::string names_of(const std::array<E, N>& values) {
  std::string out;
  for (E v : values) out += (out.empty() ? "" : "|") + std::string(formats::name(v));
  return out;
}

std::string usage() {
  return "expected rounding,overflow,nan with rounding in {" + names_of(kRoundings) + "}, overflow in {" +
         names_of(kOverflows) + "}, nan in {" + names_of(kNanPolicies) + "}";
}

template <class E, class Parse>
E parse_part(std::string_view part, std::string_view what, Parse parse) {
  if (const auto value = parse(part)) return *value;
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(part) + "' in policy: " + usage());
}

}  // namespace

std::string policy_string(const formats::EncodePolicy& p) {
  return std::string(formats::name(p.rounding)) + "," + std::string(formats::name(p.overflow)) + "," +
         std::string(formats::name(p.nan));
}

formats::EncodePolicy parse_policy_string(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (parts.size() != 3)
    throw std::invalid_argument("policy '" + std::string(text) + "' has " + std::to_string(parts.size()) +
                                " part(s); " + usage());
  return {parse_part<Rounding>(parts[0], "rounding", formats::parse_rounding),
          parse_part<Overflow>(parts[1], "overflow", formats::parse_overflow),
          parse_part<NanPolicy>(parts[2], "nan policy", formats::parse_nan_policy)};
}

std::vector<formats::EncodePolicy> legal_policies(const formats::ElementFormat& f) {
  std::vector<formats::EncodePolicy> out;
  for (Rounding r : kRoundings)
    for (Overflow o : kOverflows)
      for (NanPolicy n : kNanPolicies) {
        const formats::EncodePolicy p{r, o, n};
        try {
          formats::check_policy(f, p);
          out.push_back(p);
        } catch (const std::invalid_argument&) {
          // not a policy this format can honour
        }
      }
  return out;
}

}  // namespace flashcheck::exhaustive
