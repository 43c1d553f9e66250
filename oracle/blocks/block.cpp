#include "oracle/blocks/block.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "core/named_values.hpp"

namespace flashcheck::blocks {

namespace {

constexpr std::array<std::pair<NibbleOrder, std::string_view>, 2> kNibbleNames{{
    {NibbleOrder::adjacent, "adjacent"},
    {NibbleOrder::split_halves, "split_halves"},
}};

}  // namespace

std::string_view name(NibbleOrder o) { return name_in<NibbleOrder>(kNibbleNames, o, "nibble order"); }

std::optional<NibbleOrder> parse_nibble_order(std::string_view s) { return value_named<NibbleOrder>(kNibbleNames, s); }

std::string describe_value(double v) {
  std::array<char, 96> buf{};
  std::snprintf(buf.data(), buf.size(), "%.17g (%a)", v, v);
  return buf.data();
}

}  // namespace flashcheck::blocks
