#include "cli/artifacts.hpp"

#include "core/case_file_naming.hpp"

namespace flashcheck::cli {

std::string replay_command(const std::string& backend_spec, const std::string& case_path) {
  return case_replay_command(backend_spec, case_path);
}

std::string save_failure_artifact(const std::string& dir, const std::string& backend_spec, const AttentionCase& c,
                                  const std::string& reason) {
  return save_named_case_file(dir, backend_spec, c, reason);
}

}  // namespace flashcheck::cli
