#include "impls/ggml/ggml_plugin_location.hpp"

#include <filesystem>

namespace flashcheck::ggml {

std::optional<std::string> ggml_cpu_plugin_path(std::string* why_not) {
#ifdef FLASHCHECK_GGML_CPU_PLUGIN
  const std::string path = FLASHCHECK_GGML_CPU_PLUGIN;
  if (std::filesystem::exists(path)) return path;
  if (why_not) *why_not = "the ggml CPU plugin " + path + " is missing: build the target flashcheck_ggml_cpu";
  return std::nullopt;
#else
  if (why_not)
    *why_not =
        "this build has no ggml: run `bash ci/setup-ggml.sh` (builds the pinned llama-cpp-python's ggml) and "
        "configure again";
  return std::nullopt;
#endif
}

}  // namespace flashcheck::ggml
