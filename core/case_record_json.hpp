#pragma once
// Case records (core/case_codec.hpp) as JSON, the readable twin of the binary format
// (docs/corpus-format.md, "Case records (JSON)"): `flashcheck show` prints this form and
// `flashcheck pack` reads it.
//   {"format": "flashcheck-case-record", "version": 1,
//    "notes": {"name": ..., "summary": ..., "kills": [{"backend": ..., "bug_class": ...}]},
//    "recipe": {CaseRecipe fields by name}   or   "case": <case_to_json(c)>}
// Floats are C99 hex-float strings ("0x1.8p-3", "-inf", "nan:7fc00000") as in case files.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/case_codec.hpp"

namespace flashcheck {

inline constexpr std::string_view kCaseRecordJsonFormat = "flashcheck-case-record";
inline constexpr int kCaseRecordJsonVersion = 1;

nlohmann::json recipe_to_json(const CaseRecipe& r);
// Throws std::invalid_argument naming the field for anything malformed or unknown.
CaseRecipe recipe_from_json(const nlohmann::json& j);

nlohmann::json case_record_to_json(const CaseRecord& r);
// Accepts a record, or a plain case file (format "flashcheck-case-json") as a raw record
// with empty notes. Throws std::invalid_argument naming the field and the problem
// (unknown fields included); a recipe must pass recipe_problem(), a case validate().
CaseRecord case_record_from_json(const nlohmann::json& j);
// Parses the text first (std::invalid_argument for text that is not JSON).
CaseRecord case_record_from_json_text(std::string_view text);

}  // namespace flashcheck
