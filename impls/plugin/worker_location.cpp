#include "impls/plugin/worker_location.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

namespace flashcheck::plugin {
namespace {

namespace fs = std::filesystem;

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> find_plugin_worker(std::string* why_not) {
  if (const char* env = std::getenv(kWorkerEnvVar); env && *env) {
    if (is_executable(env)) return std::string(env);
    // An explicit choice that is wrong is an error, not a reason to look elsewhere.
    if (why_not) *why_not = fmt::format("{}={} is not an executable file", kWorkerEnvVar, env);
    return std::nullopt;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path beside = ec ? fs::path() : self.parent_path() / kWorkerName;
  if (!beside.empty() && is_executable(beside)) return beside.string();
  const fs::path built = FLASHCHECK_PLUGIN_WORKER_BUILD_PATH;
  if (is_executable(built)) return built.string();
  if (why_not)
    *why_not = fmt::format("the plugin worker '{}' was not found ({} is not set; looked in {} and {}): build the "
                           "'{}' target or set {} to its path",
                           kWorkerName, kWorkerEnvVar, beside.empty() ? "the executable's directory" : beside.string(),
                           built.string(), kWorkerName, kWorkerEnvVar);
  return std::nullopt;
}

}  // namespace flashcheck::plugin
