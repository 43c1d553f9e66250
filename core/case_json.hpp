#pragma once
// Case files: an AttentionCase as JSON, bit for bit, so a failing case can be saved
// and replayed exactly (docs/corpus-format.md, "Case files (JSON, version 1)").
// Tensor elements are stored as their raw storage bits and scalar floats as C99
// hex-floats, so NaN payloads, -0, subnormals and infinities survive the trip.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/attention_case.hpp"

namespace flashcheck {

inline constexpr std::string_view kCaseJsonFormat = "flashcheck-case-json";
inline constexpr int kCaseJsonVersion = 1;

// Everything of the case, with the top-level "format" and "version" fields.
// Throws std::invalid_argument for a tensor whose storage is not a whole number of
// elements (no case the generator builds has one).
nlohmann::json case_to_json(const AttentionCase& c);

// The inverse of case_to_json. Ignores a top-level "metadata" field; rejects every
// other unknown field, and anything malformed, with std::invalid_argument naming the
// field and the problem; finally rejects a case that fails validate().
AttentionCase case_from_json(const nlohmann::json& j);

// The exact text save_case_file writes: case_to_json(c) plus "metadata" (a JSON
// object; null is stored as {}). Throws std::invalid_argument for other metadata.
std::string case_file_text(const AttentionCase& c, const nlohmann::json& metadata);

// Writes case_file_text(c, metadata) to path atomically (replacing an existing file).
// Throws std::runtime_error naming the path when it cannot be written.
void save_case_file(const std::string& path, const AttentionCase& c, const nlohmann::json& metadata);

// Reads a case file. Throws std::runtime_error naming the path when it cannot be read,
// std::invalid_argument naming the path when its content is not a valid case.
AttentionCase load_case_file(const std::string& path);

// Writes text through a temporary file in the same directory, renamed (or, without
// overwrite, hard-linked) into place, so a crash never leaves half a file at path.
// Without overwrite an existing path is left alone and false is returned.
// Throws std::runtime_error naming the path on I/O failure.
bool write_file_atomically(const std::string& path, std::string_view text, bool overwrite);

}  // namespace flashcheck
