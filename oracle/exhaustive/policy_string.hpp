#pragma once
// Compact text form of an encode policy, "rounding,overflow,nan" in that order, e.g.
// "nearest_even,saturate,to_nan", built on the policy name tables of
// oracle/formats/encode_policy.hpp.
#include <string>
#include <string_view>
#include <vector>

#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::exhaustive {

std::string policy_string(const formats::EncodePolicy& p);
// Throws std::invalid_argument naming the bad part and listing the valid names.
formats::EncodePolicy parse_policy_string(std::string_view text);
// Every policy the format accepts (check_policy passes), in a fixed order.
std::vector<formats::EncodePolicy> legal_policies(const formats::ElementFormat& f);

}  // namespace flashcheck::exhaustive
