#pragma once
// The binary case codec: one versioned byte format for corpus files, fuzzer inputs and
// saved cases (docs/corpus-format.md, "Binary case files"). Every byte string either
// decodes into a record whose case is valid, or is rejected with a reason; decoding
// never allocates more than the limits allow and never reads past the input.
// A record holds either a generator recipe (shape, options, distribution, seed) or the
// raw case (every tensor's bits), plus notes: a name, a one-line summary and the
// backends the case is known to fail ("kills"), which corpus replay checks.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/attention_case.hpp"
#include "core/generator.hpp"

namespace flashcheck {

inline constexpr std::string_view kCaseCodecMagic = "FCASE\x1a\r\n";  // 8 bytes
// The version encode() writes. Older versions still decode (see the migrations in
// case_codec.cpp); a newer one is rejected as "written by a newer flashcheck".
inline constexpr uint16_t kCaseCodecVersion = 1;

// A backend the case must fail, and the diagnosis that failure must carry
// ("drift", "nan-from-inf", ...; empty: any failing verdict).
struct ExpectedKill {
  std::string backend;  // "subject@mutant" or a subject
  std::string bug_class;
  friend bool operator==(const ExpectedKill&, const ExpectedKill&) = default;
};

struct CaseNotes {
  std::string name;     // stable identifier, e.g. "mutant-cpu-scalar-vkq16"
  std::string summary;  // one line: where it came from, what it shows
  std::vector<ExpectedKill> kills;
  friend bool operator==(const CaseNotes&, const CaseNotes&) = default;
};

struct CaseRecord {
  std::variant<CaseRecipe, AttentionCase> body;
  CaseNotes notes;

  bool is_recipe() const { return std::holds_alternative<CaseRecipe>(body); }
};

// Bounds the decoder enforces before it allocates anything.
struct DecodeLimits {
  int64_t max_tensor_elements = int64_t{1} << 28;  // per tensor (raw) or per generated tensor (recipe)
  int64_t max_total_elements = int64_t{1} << 30;   // every tensor of the case (quantized sources and dequantized
                                                   // K/V included) or, for a recipe, Q + K + V + mask to generate
  int64_t max_dimension = int64_t{1} << 24;        // any single shape entry (never above 2^24)
  size_t max_string_bytes = 4096;                  // each name / note string
  size_t max_kills = 256;
};

struct DecodeResult {
  std::optional<CaseRecord> record;  // set exactly when error is empty
  std::string error;                 // why the bytes were rejected (offset and field named)
  uint16_t version = 0;              // the version found in the header (0 when unreadable)
};

// The bytes of the record in the current version. Throws std::invalid_argument for a
// record the format cannot hold (a case failing validate(), a recipe naming an unknown
// distribution, a string longer than the limits).
std::vector<uint8_t> encode_case_record(const CaseRecord& r);

// Never throws for bad input: every problem is a DecodeResult error. Checks the magic,
// version, checksum, every length and enum, the limits, and last the case itself
// (validate() for raw cases, recipe_problem() for recipes).
DecodeResult decode_case_record(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

// Whether the bytes start with the binary magic (a JSON case file does not).
bool looks_like_binary_case(std::span<const uint8_t> bytes);

// The case a record stands for: generate(recipe), or the raw case.
AttentionCase materialize(const CaseRecord& r);

// Files. save writes atomically (core/case_json.hpp, write_file_atomically); load throws
// std::runtime_error naming the path when it cannot be read, std::invalid_argument
// naming the path and the decoder's reason when the content is rejected.
void save_case_record(const std::string& path, const CaseRecord& r);
CaseRecord load_case_record(const std::string& path);

// Loads any case file: binary records, and JSON case files (core/case_json.hpp) or JSON
// records (case_record_json.hpp), told apart by their first bytes.
CaseRecord load_any_case_file(const std::string& path);

// Names of tensor layouts as the record formats (binary and JSON) store them.
std::string_view layout_name(Layout l);
std::optional<Layout> parse_layout(std::string_view s);

}  // namespace flashcheck
