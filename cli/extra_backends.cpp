#include "cli/extra_backends.hpp"

#include <algorithm>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/exit_codes.hpp"
#include "core/case_file_naming.hpp"
#include "impls/builtin_backends.hpp"
#include "impls/ggml/ggml_plugin_location.hpp"
#include "impls/plugin/plugin_backend.hpp"

namespace flashcheck::cli {
namespace {

constexpr double kDefaultPluginTimeout = ExtraBackendOptions{}.plugin_timeout_s;

// What another command needs to load the same subject: the plugin (or --with-ggml) and
// the options that change how it runs.
std::string origin_flags(const std::string& plugin_flag, const ExtraBackendOptions& options) {
  std::string flags = plugin_flag;
  if (options.plugin_timeout_s != kDefaultPluginTimeout)
    flags += fmt::format(" --plugin-timeout {:g}", options.plugin_timeout_s);
  if (options.plugin_threads != 0) flags += fmt::format(" --plugin-threads {}", options.plugin_threads);
  return flags;
}

// via_ggml: the plugin came from --with-ggml, which is also how a replay gets it back.
void add_plugin(SessionRegistry& session, const std::string& path, bool via_ggml, const ExtraBackendOptions& options) {
  plugin::PluginOptions plugin_options;
  plugin_options.timeout_s = options.plugin_timeout_s;
  plugin_options.threads = options.plugin_threads;
  std::shared_ptr<plugin::Plugin> loaded;
  try {
    loaded = plugin::Plugin::load(path, plugin_options);
  } catch (const plugin::PluginLoadError& e) {
    throw UsageError(e.what());
  }
  const std::vector<std::string> registered = session.registry.names();
  for (const plugin::PluginSubject& s : loaded->subjects()) {
    if (std::find(registered.begin(), registered.end(), s.name) != registered.end())
      throw UsageError(fmt::format("plugin '{}' exports subject '{}', which is already registered (a builtin subject or "
                                   "one of another plugin): rename it",
                                   path, s.name));
    session.registry.add(s.name, [loaded, name = s.name]() { return loaded->make_backend(name); });
    const std::string plugin_flag = via_ggml ? "--with-ggml" : "--plugin " + shell_quote(loaded->path());
    set_subject_origin_flags(s.name, origin_flags(plugin_flag, options));
    session.extra_names.push_back(s.name);
  }
}

}  // namespace

void add_extra_backend_options(CLI::App* app, ExtraBackendOptions& options) {
  const std::string group = "Plugins (docs/plugins.md)";
  app->add_option("--plugin", options.plugins,
                  "Load the subjects a plugin library exports, each run in a worker process (repeatable)")
      ->type_name("PATH")
      ->group(group);
  app->add_flag("--with-ggml", options.with_ggml, "Also load ggml's CPU flash attention (the adapter plugin)")
      ->group(group);
  app->add_option("--plugin-timeout", options.plugin_timeout_s,
                  "Seconds a plugin may spend on one case; then its worker is killed and the case is 'timed out'")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str()
      ->group(group);
  app->add_option("--plugin-threads", options.plugin_threads,
                  "n_threads sent to plugin subjects (0: the plugin's choice)")
      ->type_name("N")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str()
      ->group(group);
}

SessionRegistry session_registry(const ExtraBackendOptions& options) {
  SessionRegistry session;
  session.registry = builtin_registry();
  for (const std::string& path : options.plugins) add_plugin(session, path, /*via_ggml=*/false, options);
  if (options.with_ggml) {
    std::string why_not;
    const auto path = ggml::ggml_cpu_plugin_path(&why_not);
    if (!path) throw UsageError("--with-ggml: " + why_not);
    add_plugin(session, *path, /*via_ggml=*/true, options);
  }
  return session;
}

std::vector<std::string> backends_to_grade(const SessionRegistry& session, const std::vector<std::string>& named) {
  if (!named.empty()) return named;
  return session.extra_names;
}

}  // namespace flashcheck::cli
