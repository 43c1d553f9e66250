#pragma once
// Enum <-> name tables for options that appear on the command line and in reports
// (rounding modes, layouts, scale rules...): one lookup written once.
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace flashcheck {

template <class E>
using NameTable = std::span<const std::pair<E, std::string_view>>;

// The name of value; throws std::invalid_argument("<what> out of range") when absent.
template <class E>
std::string_view name_in(NameTable<E> table, E value, std::string_view what) {
  for (const auto& [v, n] : table)
    if (v == value) return n;
  throw std::invalid_argument(std::string(what) + " out of range");
}

// The value named s, or nullopt.
template <class E>
std::optional<E> value_named(NameTable<E> table, std::string_view s) {
  for (const auto& [v, n] : table)
    if (n == s) return v;
  return std::nullopt;
}

}  // namespace flashcheck
