#pragma once
// Backends from outside the build: plugins (--plugin lib.so, impls/plugin/) and the
// ggml CPU adapter (--with-ggml, itself a plugin built against the pinned ggml). The
// commands that take backends (check, run, replay, drift, list) register these options
// and then select from session_registry() instead of the builtin registry.
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace CLI {
class App;
}

namespace flashcheck::cli {

struct ExtraBackendOptions {
  std::vector<std::string> plugins;  // --plugin PATH, repeatable
  bool with_ggml = false;            // --with-ggml
  double plugin_timeout_s = 60.0;    // --plugin-timeout SECONDS, per case
  int plugin_threads = 0;            // --plugin-threads N: n_threads sent to plugins (0: their choice)
};

void add_extra_backend_options(CLI::App* app, ExtraBackendOptions& options);

struct SessionRegistry {
  Registry registry;                     // the builtin subjects plus every extra one
  std::vector<std::string> extra_names;  // the subjects the options added, in order
};

// Loads every plugin (each in its worker process) and lists its subjects. Throws
// UsageError for a library that cannot be loaded, has no entry point, speaks another
// ABI version or names a subject twice, and for --with-ggml in a build without ggml.
SessionRegistry session_registry(const ExtraBackendOptions& options);

// The backends to grade: those named, or, when none is named and extra subjects were
// given, just those (a kernel author asks about their kernel, not the builtin ones);
// empty means every available backend.
std::vector<std::string> backends_to_grade(const SessionRegistry& session, const std::vector<std::string>& named);

}  // namespace flashcheck::cli
