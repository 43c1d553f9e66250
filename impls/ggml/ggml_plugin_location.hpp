#pragma once
// Where this build put the ggml CPU adapter plugin (impls/ggml/), which exists only when
// the build was configured against the pinned ggml that ci/setup-ggml.sh builds.
#include <optional>
#include <string>

namespace flashcheck::ggml {

// The plugin's path, or nullopt with *why_not saying how to get one.
std::optional<std::string> ggml_cpu_plugin_path(std::string* why_not);

}  // namespace flashcheck::ggml
