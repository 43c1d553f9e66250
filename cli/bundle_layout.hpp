#pragma once
// Where things lie in a bundle (docs/bundle-protocol.md): the one place that names them.
//   <bundle>/manifest.json
//   <bundle>/cases/<id>/case.fcase, q.npy, q_f32.npy, k.npy, ... (inputs)
//   <bundle>/results/<runner>/results.json, <id>/o.npy, <id>/lse.npy (a runner's outputs)
#include <string>
#include <string_view>

namespace flashcheck::cli {

inline constexpr std::string_view kBundleFormat = "flashcheck-bundle";
inline constexpr std::string_view kBundleResultsFormat = "flashcheck-bundle-results";
inline constexpr int kBundleVersion = 1;

inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kCasesDir = "cases";
inline constexpr std::string_view kResultsDir = "results";
inline constexpr std::string_view kResultsFile = "results.json";
inline constexpr std::string_view kCaseRecordFile = "case.fcase";
inline constexpr std::string_view kOutputFile = "o.npy";
inline constexpr std::string_view kLseFile = "lse.npy";

// Case ids and runner names become directory names: letters, digits, '_', '-', '.'
// (not leading), 1 to 96 characters. Anything else is rejected, so no name in a
// manifest or results file can point outside the bundle.
inline bool is_bundle_name(std::string_view s) {
  if (s.empty() || s.size() > 96 || s.front() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

inline std::string bundle_path(std::string_view bundle, std::string_view a) {
  return std::string(bundle) + "/" + std::string(a);
}
inline std::string case_dir(std::string_view bundle, std::string_view id) {
  return bundle_path(bundle, std::string(kCasesDir) + "/" + std::string(id));
}
inline std::string runner_dir(std::string_view bundle, std::string_view runner) {
  return bundle_path(bundle, std::string(kResultsDir) + "/" + std::string(runner));
}

}  // namespace flashcheck::cli
