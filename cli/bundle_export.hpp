#pragma once
// `flashcheck export`'s work: each case written into a bundle directory as .npy inputs
// plus its exact record (case.fcase), and the manifest that lists them
// (docs/bundle-protocol.md).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/case_codec.hpp"

namespace flashcheck::cli {

struct BundleCase {
  std::string id;      // directory name under cases/ (is_bundle_name)
  std::string origin;  // the case file it came from, or the matrix entry / recipe
  CaseRecord record;   // a raw case (the record the bundle stores) with its notes
};

// "0003-prefill-normal-causal": the position and a slug of the name, unique in a bundle.
std::string bundle_case_id(size_t index, const std::string& name);

// Writes cases/<id>/ (inputs, case.fcase) and returns the case's manifest entry.
// Throws std::runtime_error naming the path when a file cannot be written.
nlohmann::json export_bundle_case(const std::string& bundle_dir, const BundleCase& bc, const AttentionCase& c);

// The whole manifest: format, versions, the entries in order.
nlohmann::json bundle_manifest(const std::vector<nlohmann::json>& entries, const std::string& flashcheck_version,
                               const std::string& command_line);

}  // namespace flashcheck::cli
