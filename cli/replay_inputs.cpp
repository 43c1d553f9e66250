#include "cli/replay_inputs.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "cli/exit_codes.hpp"

namespace flashcheck::cli {
namespace {

namespace fs = std::filesystem;

// Regular files under dir (following no directory links), sorted by path so every run
// replays in the same order whatever the file system lists first.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) throw UsageError(fmt::format("cannot list directory '{}': {}", dir.string(), ec.message()));
  for (; it != end; it.increment(ec)) {
    if (ec) throw UsageError(fmt::format("cannot list directory '{}': {}", dir.string(), ec.message()));
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) out.push_back(it->path().string());
  }
  if (ec) throw UsageError(fmt::format("cannot list directory '{}': {}", dir.string(), ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

// Paths that name one file compare equal (the file need not exist yet).
std::string same_file_key(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? fs::absolute(path).lexically_normal().string() : canonical.string();
}

}  // namespace

bool has_case_file_extension(std::string_view path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".fcase" || ext == ".json";
}

ReplayInputs collect_case_files(const std::vector<std::string>& paths, const std::vector<std::string>& outputs) {
  ReplayInputs out;
  std::set<std::string> output_files;
  for (const std::string& o : outputs)
    if (!o.empty() && o != "-") output_files.insert(same_file_key(o));
  std::set<std::string> seen;  // by normalized path: one file named twice replays once
  auto take = [&](const std::string& path) {
    if (seen.insert(fs::path(path).lexically_normal().string()).second) out.case_files.push_back(path);
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) throw UsageError(fmt::format("no such file or directory: '{}'", path));
    if (!fs::is_directory(status)) {
      take(path);
      continue;
    }
    for (const std::string& file : files_under(path)) {
      if (output_files.contains(same_file_key(file)))
        out.skipped.push_back({file, "an output of this run (--junit / --json)"});
      else if (has_case_file_extension(file))
        take(file);
      else
        out.skipped.push_back({file, "not a case file (neither .fcase nor .json)"});
    }
  }
  return out;
}

LoadedCase load_case_for_replay(const std::string& path) {
  LoadedCase out;
  try {
    // A .fcase file is a binary record by its name: reading it as anything else would
    // only blur why it was rejected.
    out.record = fs::path(path).extension() == ".fcase" ? load_case_record(path) : load_any_case_file(path);
  } catch (const std::exception& e) {
    const std::string what = e.what();  // the codec's messages name the path; say it where one does not
    out.error = what.find(path) == std::string::npos ? fmt::format("{}: {}", path, what) : what;
    return out;
  }
  try {
    out.c = materialize(*out.record);
  } catch (const std::exception& e) {
    out.error = fmt::format("{}: the case cannot be built: {}", path, e.what());
  }
  return out;
}

}  // namespace flashcheck::cli
