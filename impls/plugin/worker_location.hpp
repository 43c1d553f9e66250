#pragma once
// Where the plugin worker executable is: $FLASHCHECK_PLUGIN_WORKER, else next to the
// running executable, else where this build tree put it.
#include <optional>
#include <string>

namespace flashcheck::plugin {

inline constexpr const char* kWorkerEnvVar = "FLASHCHECK_PLUGIN_WORKER";
inline constexpr const char* kWorkerName = "flashcheck-plugin-worker";

// The worker's path, or nullopt with *why_not listing every place looked at.
std::optional<std::string> find_plugin_worker(std::string* why_not);

}  // namespace flashcheck::plugin
