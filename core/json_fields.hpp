#pragma once
// Strict reading of the JSON documents flashcheck writes (case files, case records): an
// object's fields are handed out by name, so a missing field and a field nobody asked for
// (a typo, or a newer writer) are both reported, and every problem names its field.
// f32 scalars are C99 hex-floats, NaN as "nan:" plus its 8 hex digits of bits.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace flashcheck {

// Throws std::invalid_argument "<document> field '<field>': <problem>".
[[noreturn]] void reject_json_field(std::string_view document, std::string_view field, std::string_view problem);

// "0x1.8p-3", "-inf", "-0x0p+0"; a NaN as "nan:7fc00000" (%a would lose its sign and payload).
std::string f32_json_text(float f);
// The inverse; rejects anything that is not exactly an f32 written that way.
float f32_from_json(const nlohmann::json& v, std::string_view document, std::string_view field);

class JsonFields {
 public:
  // document names the file kind in messages ("case JSON"); path is this object's field path.
  JsonFields(const nlohmann::json& j, std::string path, std::string_view document);

  std::string field(std::string_view key) const;
  [[noreturn]] void reject(std::string_view field, std::string_view problem) const;
  const nlohmann::json& take(std::string_view key);  // throws when missing
  void allow(std::string_view key);                  // a field that is read elsewhere, or ignored
  void finish() const;                               // throws for a field nobody took

  std::string string(std::string_view key);
  bool boolean(std::string_view key);
  int64_t integer(std::string_view key);
  uint64_t unsigned_integer(std::string_view key);
  float f32(std::string_view key);
  // A name parsed by parse (returning std::optional<E>); what says what kind of name.
  template <class E, class Parse>
  E named(std::string_view key, Parse parse, std::string_view what) {
    const std::string s = string(key);
    if (const auto v = parse(s)) return *v;
    reject(field(key), "unknown " + std::string(what) + " '" + s + "'");
  }

 private:
  const nlohmann::json& j_;
  std::string path_;
  std::string document_;
  std::set<std::string, std::less<>> taken_;
};

}  // namespace flashcheck
