#pragma once
// Where failing cases go: one naming and saving rule for the tool and the test suites,
// <backend>-<family>-<seed>-<content hash>.json with metadata saying why the case was
// saved and how to replay it.
#include <string>
#include <string_view>

#include "core/attention_case.hpp"

namespace flashcheck {

// Lower-case letters, digits and '_' are kept; every other run of characters becomes
// one '-', with none at either end; at most 48 characters; `fallback` when nothing is left.
std::string file_name_slug(std::string_view text, std::string_view fallback);

// 8 lower-case hex digits of a hash of text (64-bit FNV-1a folded to 32 bits).
std::string content_hash8(std::string_view text);

// One argument as a POSIX shell reads it back: as is when it only holds safe
// characters, otherwise in single quotes.
std::string shell_quote(std::string_view arg);

// The command that replays a case file: flashcheck run --backend <spec> --case <path>.
std::string case_replay_command(std::string_view backend_spec, std::string_view case_path);

// Saves c under dir (created when missing) as
//   <backend slug>-<family slug>-<seed>-<8 hex digits of a content hash>.json
// with metadata {backend, reason, replay}; the hash covers the case, backend and reason,
// so the same name means the same content. A file already holding exactly that content
// is kept; a different file is never overwritten ("-2", "-3", ... is appended instead).
// Returns the path (dir / name). Throws std::runtime_error naming the path on I/O failure.
std::string save_named_case_file(const std::string& dir, const std::string& backend_spec, const AttentionCase& c,
                                 const std::string& reason);

}  // namespace flashcheck
