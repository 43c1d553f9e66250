#include "props/support/counterexample.hpp"

#include <cstdlib>
#include <exception>
#include <filesystem>

#include <fmt/format.h>

#include "core/case_file_naming.hpp"

namespace flashcheck::testing {

std::string save_counterexample(const AttentionCase& c, const std::string& backend_spec, const std::string& why) {
  const char* configured = std::getenv("FLASHCHECK_ARTIFACTS");
  const std::string dir = configured && *configured ? configured : "flashcheck-artifacts";
  try {
    // An absolute path, so the replay command works from any directory.
    const std::string absolute_dir = std::filesystem::absolute(dir).lexically_normal().string();
    const std::string path = save_named_case_file(absolute_dir, backend_spec, c, why);
    return fmt::format("counterexample saved: {}\nreplay: {}\n", path, case_replay_command(backend_spec, path));
  } catch (const std::exception& e) {
    return fmt::format("counterexample could not be saved under '{}': {}\n", dir, e.what());
  }
}

}  // namespace flashcheck::testing
