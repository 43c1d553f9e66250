#include "core/json_fields.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace flashcheck {

using nlohmann::json;

void reject_json_field(std::string_view document, std::string_view field, std::string_view problem) {
  throw std::invalid_argument(fmt::format("{} field '{}': {}", document, field, problem));
}

std::string f32_json_text(float f) {
  if (std::isnan(f)) return fmt::format("nan:{:08x}", std::bit_cast<uint32_t>(f));
  return fmt::format("{:a}", f);
}

float f32_from_json(const json& v, std::string_view document, std::string_view field) {
  if (!v.is_string()) reject_json_field(document, field, fmt::format("must be a string, not {}", v.type_name()));
  const std::string text = v.get<std::string>();
  auto bad = [&](std::string_view why) {
    reject_json_field(document, field,
                      fmt::format("'{}' is not a C99 hex-float f32 value ({}); expected e.g. \"0x1.8p-3\", \"-inf\" "
                                  "or \"nan:7fc00000\"",
                                  text, why));
  };
  if (text.starts_with("nan:")) {
    const std::string_view digits = std::string_view(text).substr(4);
    uint32_t bits = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits, 16);
    if (digits.size() != 8 || ec != std::errc() || ptr != digits.data() + digits.size()) bad("NaN bits need 8 hex digits");
    const float f = std::bit_cast<float>(bits);
    if (!std::isnan(f)) bad("the bits are not a NaN");
    return f;
  }
  std::string_view rest(text);
  const bool negative = rest.starts_with('-');
  if (negative) rest.remove_prefix(1);
  double magnitude = 0;
  if (rest == "inf") {
    magnitude = std::numeric_limits<double>::infinity();
  } else {
    if (!rest.starts_with("0x") && !rest.starts_with("0X")) bad("no 0x prefix");
    rest.remove_prefix(2);
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), magnitude, std::chars_format::hex);
    if (rest.empty() || ec != std::errc() || ptr != rest.data() + rest.size() || rest.front() == '-' ||
        rest.front() == '+')
      bad("unreadable");
  }
  const double value = negative ? -magnitude : magnitude;
  const auto f = static_cast<float>(value);
  if (static_cast<double>(f) != value) bad("not exactly representable in f32");
  return f;
}

JsonFields::JsonFields(const json& j, std::string path, std::string_view document)
    : j_(j), path_(std::move(path)), document_(document) {
  if (!j.is_object()) reject(path_.empty() ? "(top level)" : path_, fmt::format("must be an object, not {}", j.type_name()));
}

std::string JsonFields::field(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void JsonFields::reject(std::string_view field, std::string_view problem) const {
  reject_json_field(document_, field, problem);
}

const json& JsonFields::take(std::string_view key) {
  const auto it = j_.find(std::string(key));
  if (it == j_.end()) reject(field(key), "missing");
  taken_.emplace(key);
  return *it;
}

void JsonFields::allow(std::string_view key) { taken_.emplace(key); }

void JsonFields::finish() const {
  for (auto it = j_.begin(); it != j_.end(); ++it)
    if (!taken_.contains(it.key())) reject(field(it.key()), "unknown field");
}

std::string JsonFields::string(std::string_view key) {
  const json& v = take(key);
  if (!v.is_string()) reject(field(key), fmt::format("must be a string, not {}", v.type_name()));
  return v.get<std::string>();
}

bool JsonFields::boolean(std::string_view key) {
  const json& v = take(key);
  if (!v.is_boolean()) reject(field(key), fmt::format("must be true or false, not {}", v.type_name()));
  return v.get<bool>();
}

int64_t JsonFields::integer(std::string_view key) {
  const json& v = take(key);
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}))
    reject(field(key), fmt::format("must be a 64-bit signed integer, not {}", v.dump()));
  return v.get<int64_t>();
}

uint64_t JsonFields::unsigned_integer(std::string_view key) {
  const json& v = take(key);
  if (!v.is_number_unsigned()) reject(field(key), fmt::format("must be an unsigned integer, not {}", v.dump()));
  return v.get<uint64_t>();
}

float JsonFields::f32(std::string_view key) { return f32_from_json(take(key), document_, field(key)); }

}  // namespace flashcheck
