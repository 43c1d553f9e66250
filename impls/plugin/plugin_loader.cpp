#include "impls/plugin/plugin_loader.hpp"

#include <dlfcn.h>

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace flashcheck::plugin {

LoadedPlugin load_plugin_library(const std::string& path) {
  // RTLD_LOCAL: two plugins exporting the same symbols never see each other's.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw std::runtime_error(fmt::format("cannot load '{}' as a shared library: {}", path, why ? why : "unknown error"));
  }
  dlerror();
  void* entry = dlsym(handle, FC_PLUGIN_ENTRY_POINT);
  if (!entry)
    throw std::runtime_error(fmt::format("'{}' exports no '{}' function: it is not a flashcheck plugin", path,
                                         FC_PLUGIN_ENTRY_POINT));
  // dlsym returns functions as void*; POSIX guarantees the round trip.
  fc_plugin_entry_fn fn = nullptr;
  static_assert(sizeof fn == sizeof entry);
  std::memcpy(&fn, &entry, sizeof fn);
  LoadedPlugin loaded;
  loaded.plugin = fn(FC_PLUGIN_ABI_VERSION);
  if (const std::string problem = plugin_problem(loaded.plugin); !problem.empty())
    throw std::runtime_error(fmt::format("'{}' is not a usable plugin: {}", path, problem));
  loaded.description = describe_plugin(*loaded.plugin);
  return loaded;
}

}  // namespace flashcheck::plugin
