#include "oracle/blocks/block.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace flashcheck::blocks {

namespace {

constexpr std::array<std::pair<NibbleOrder, std::string_view>, 2> kNibbleNames{{
    {NibbleOrder::adjacent, "adjacent"},
    {NibbleOrder::split_halves, "split_halves"},
}};

}  // namespace

std::string_view name(NibbleOrder o) {
  for (const auto& [v, n] : kNibbleNames)
    if (v == o) return n;
  throw std::invalid_argument("nibble order out of range");
}

std::optional<NibbleOrder> parse_nibble_order(std::string_view s) {
  for (const auto& [v, n] : kNibbleNames)
    if (n == s) return v;
  return std::nullopt;
}

std::string describe_value(double v) {
  std::array<char, 96> buf{};
  std::snprintf(buf.data(), buf.size(), "%.17g (%a)", v, v);
  return buf.data();
}

}  // namespace flashcheck::blocks
