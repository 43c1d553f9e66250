#pragma once
// Machine-readable reports (nlohmann::json). Non-finite numbers become null, so
// every float that matters also appears as a hex string.
#include <string>

#include <nlohmann/json.hpp>

#include "cli/case_evaluation.hpp"

namespace flashcheck::cli {

nlohmann::json recipe_to_json(const CaseRecipe& r);
nlohmann::json verdict_to_json(const Verdict& v);
nlohmann::json oracle_stats_to_json(const OracleStats& s);
nlohmann::json outcome_to_json(const CaseOutcome& o);

// Throws UsageError when path (if not empty or "-") cannot be created for writing.
void ensure_writable(const std::string& path);

// Writes the document to path ("-": standard output); throws std::runtime_error
// when the file cannot be written.
void write_json(const std::string& path, const nlohmann::json& doc);

}  // namespace flashcheck::cli
