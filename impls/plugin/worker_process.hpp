#pragma once
// The host's side of one plugin worker (flashcheck-plugin-worker PLUGIN): started on
// the first request and after every crash or timeout, spoken to over a socket pair
// that is the worker's stdin and stdout, killed (SIGKILL) when a reply is late.
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace flashcheck::plugin {

// What became of one request.
struct Exchange {
  enum class Kind {
    reply,      // payload holds the worker's reply
    crashed,    // the worker died by signal `signal` before replying
    timed_out,  // no reply within the timeout; the worker was killed
    exited,     // the worker exited (status `exit_code`) before replying
    failed,     // the worker could not be started or spoken to (detail says why)
  } kind = Kind::failed;
  std::vector<uint8_t> payload;
  int signal = 0;
  int exit_code = 0;
  std::string detail;
};

// "crashed (signal 11, SIGSEGV)".
std::string crash_text(int signal);
// "timed out after 2 s" (the timeout as given, shortest form).
std::string timeout_text(double seconds);

class WorkerProcess {
 public:
  WorkerProcess(std::string worker_path, std::string plugin_path);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Sends one request and waits at most timeout_s for the reply (starting the worker
  // first when none runs). A worker that died or was killed is gone afterwards: the
  // next request starts a new one.
  Exchange request(std::span<const uint8_t> payload, double timeout_s);

 private:
  void start();
  // Ends the worker (SIGKILL when kill_it, or when it does not exit promptly) and
  // returns its wait status.
  int stop(bool kill_it);
  Exchange fate(bool kill_it, const std::string& what);

  std::string worker_path_, plugin_path_;
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace flashcheck::plugin
