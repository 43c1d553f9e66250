#pragma once
// Failure artifacts of the tool: the case a backend failed on, saved as a case file
// with the command that replays it (naming and writing: core/case_file_naming.hpp).
#include <string>

#include "core/attention_case.hpp"

namespace flashcheck::cli {

// flashcheck run --backend <spec> --case <path>, each argument shell-quoted where needed.
std::string replay_command(const std::string& backend_spec, const std::string& case_path);

// Saves c under dir (created when missing) as
// <backend slug>-<family slug>-<seed>-<8 hex digits of a content hash>.json with metadata
// {backend, reason, replay}; never overwrites a different existing file. Returns the path.
// Throws std::runtime_error naming the path when it cannot be written.
std::string save_failure_artifact(const std::string& dir, const std::string& backend_spec, const AttentionCase& c,
                                  const std::string& reason);

}  // namespace flashcheck::cli
