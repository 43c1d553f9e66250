#pragma once
// Plugins as subjects: Plugin::load starts the plugin's worker process (which loads
// and checks the library) and asks it what it exports; each exported subject becomes a
// PluginBackend whose runs go to that one worker. A crash or hang of the plugin is a
// RunResult with a fault ("crashed (signal 11, SIGSEGV)", "timed out after 60 s"); the
// next run starts a fresh worker.
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck::plugin {

// The library cannot be used as a plugin: not found, not loadable, no entry point,
// another ABI version, a bad description, no worker to load it in.
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PluginOptions {
  double timeout_s = 60.0;  // per request, the describe request included
  int threads = 0;          // n_threads sent when a backend is at set_threads(0); 0: the plugin's choice
  std::string worker_path;  // empty: find_plugin_worker()
};

struct PluginSubject {
  std::string name;
  std::string description;
  Capabilities capabilities;
};

class WorkerProcess;

class Plugin : public std::enable_shared_from_this<Plugin> {
 public:
  // Throws PluginLoadError saying what is wrong.
  static std::shared_ptr<Plugin> load(const std::string& path, const PluginOptions& options = {});
  ~Plugin();

  const std::string& path() const { return path_; }  // absolute
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::vector<PluginSubject>& subjects() const { return subjects_; }
  const PluginOptions& options() const { return options_; }

  // nullptr for a name the plugin does not export.
  std::unique_ptr<Backend> make_backend(const std::string& subject);

  // One request to the worker (serialized: one worker per plugin).
  RunResult run(size_t subject, const AttentionCase& c, int n_threads);

 private:
  Plugin(std::string path, PluginOptions options);

  std::string path_;
  PluginOptions options_;
  std::string name_, version_;
  std::vector<PluginSubject> subjects_;
  std::mutex mutex_;
  std::unique_ptr<WorkerProcess> worker_;
};

class PluginBackend : public Backend {
 public:
  PluginBackend(std::shared_ptr<Plugin> plugin, size_t subject);
  std::string name() const override;
  std::string description() const override;
  Capabilities capabilities() const override;
  RunResult run(const AttentionCase& c) override;
  // Any count is taken: it is what n_threads tells the plugin (0: the plugin's
  // options().threads, itself 0 for the plugin's own choice).
  bool set_threads(int threads) override;
  int threads_sent() const;

 private:
  std::shared_ptr<Plugin> plugin_;
  size_t subject_;
  int threads_ = 0;
};

}  // namespace flashcheck::plugin
