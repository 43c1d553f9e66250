#pragma once
// What `flashcheck replay` reads: the case files named on the command line, with the
// directories among them walked recursively. In a walked directory a case file is one
// ending in .fcase (binary record) or .json (JSON case file or record); every other
// file is reported as skipped, never dropped silently. A file named explicitly is
// always taken as a case file.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/case_codec.hpp"

namespace flashcheck::cli {

struct SkippedFile {
  std::string path;
  std::string reason;
};

struct ReplayInputs {
  std::vector<std::string> case_files;  // each argument's files sorted, arguments in order, no repeats
  std::vector<SkippedFile> skipped;     // files of walked directories that are not case files
};

// Whether a file found in a walked directory is taken as a case file (by its extension).
bool has_case_file_extension(std::string_view path);

// Throws UsageError for a path that does not exist or cannot be listed. Files of walked
// directories that are the run's own outputs (reports written into a replayed folder)
// are skipped as such.
ReplayInputs collect_case_files(const std::vector<std::string>& paths, const std::vector<std::string>& outputs = {});

// One case file, loaded: the record, or why it could not be loaded or built.
struct LoadedCase {
  std::optional<CaseRecord> record;
  std::optional<AttentionCase> c;  // materialize(record)
  std::string error;               // set exactly when c is absent
};

// Never throws: an unreadable file, undecodable content or a record whose case cannot be
// built is an error naming the file and the reason.
LoadedCase load_case_for_replay(const std::string& path);

}  // namespace flashcheck::cli
