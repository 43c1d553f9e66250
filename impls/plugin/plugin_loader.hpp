#pragma once
// Loading a plugin library in the worker: dlopen, the entry point, the checks of
// plugin_problem(). Only the worker does this, so a plugin whose constructor or entry
// point crashes takes only the worker down.
#include <string>

#include "flashcheck/backend.h"
#include "impls/plugin/plugin_description.hpp"

namespace flashcheck::plugin {

struct LoadedPlugin {
  const fc_plugin* plugin = nullptr;  // static storage of the library, which stays loaded
  PluginDescription description;
};

// Throws std::runtime_error saying why the library cannot be used (not loadable, no
// entry point, what plugin_problem() found).
LoadedPlugin load_plugin_library(const std::string& path);

}  // namespace flashcheck::plugin
