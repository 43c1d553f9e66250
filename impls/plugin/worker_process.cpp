#include "impls/plugin/worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "impls/plugin/plugin_wire.hpp"

namespace flashcheck::plugin {
namespace {

using Clock = std::chrono::steady_clock;

struct SignalName {
  int number;
  const char* name;
};
constexpr std::array<SignalName, 13> kSignalNames{{
    {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"}, {SIGILL, "SIGILL"},
    {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"}, {SIGPIPE, "SIGPIPE"},
    {SIGINT, "SIGINT"}, {SIGXCPU, "SIGXCPU"}, {SIGHUP, "SIGHUP"},
}};

// Milliseconds left before the deadline, for poll() (at least 0).
int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

enum class Io { done, closed, late };

// Moves n bytes through `step` (one non-blocking send or recv of at most n bytes),
// waiting for `events` between partial transfers until the deadline. The socket is
// non-blocking: a worker that stops reading (or writing) cannot block the host either.
template <typename Byte, typename Step>
Io transfer_all(int fd, Byte* bytes, size_t n, short events, Clock::time_point deadline, Step step) {
  while (n > 0) {
    const ssize_t k = step(bytes, n);
    if (k > 0) {
      bytes += k;
      n -= static_cast<size_t>(k);
      continue;
    }
    if (k == 0) return Io::closed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, events, 0};
      const int ready = poll(&p, 1, millis_left(deadline));
      if (ready == 0) return Io::late;
      if (ready < 0 && errno != EINTR) return Io::closed;
      continue;
    }
    return Io::closed;
  }
  return Io::done;
}

Io send_all(int fd, const uint8_t* bytes, size_t n, Clock::time_point deadline) {
  return transfer_all(fd, bytes, n, POLLOUT, deadline,
                      [fd](const uint8_t* p, size_t left) { return send(fd, p, left, MSG_NOSIGNAL); });
}

Io receive_exact(int fd, uint8_t* out, size_t n, Clock::time_point deadline) {
  return transfer_all(fd, out, n, POLLIN, deadline, [fd](uint8_t* p, size_t left) { return recv(fd, p, left, 0); });
}

}  // namespace

std::string crash_text(int signal) {
  for (const SignalName& s : kSignalNames)
    if (s.number == signal) return fmt::format("crashed (signal {}, {})", signal, s.name);
  return fmt::format("crashed (signal {})", signal);
}

std::string timeout_text(double seconds) { return fmt::format("timed out after {:g} s", seconds); }

WorkerProcess::WorkerProcess(std::string worker_path, std::string plugin_path)
    : worker_path_(std::move(worker_path)), plugin_path_(std::move(plugin_path)) {}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0) stop(/*kill_it=*/true);
}

void WorkerProcess::start() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error(fmt::format("cannot create a socket pair: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the copies: the worker's stdin and stdout are its end.
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> argv{const_cast<char*>(worker_path_.c_str()), const_cast<char*>(plugin_path_.c_str()), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, worker_path_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    throw std::runtime_error(
        fmt::format("cannot start the plugin worker '{}': {}", worker_path_, std::strerror(spawned)));
  }
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  pid_ = pid;
  fd_ = fds[0];
}

int WorkerProcess::stop(bool kill_it) {
  close(fd_);  // an idle worker reads end-of-input and exits
  fd_ = -1;
  if (kill_it) kill(pid_, SIGKILL);
  int status = 0;
  // A worker whose input closed exits at once; give it a moment, then kill it.
  for (int tries = 0;; ++tries) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) break;
    if (tries == 200) kill(pid_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(tries < 200 ? 5 : 1));
  }
  pid_ = -1;
  return status;
}

Exchange WorkerProcess::fate(bool kill_it, const std::string& what) {
  const int status = stop(kill_it);
  Exchange e;
  if (WIFSIGNALED(status)) {
    e.kind = Exchange::Kind::crashed;
    e.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    e.kind = Exchange::Kind::exited;
    e.exit_code = WEXITSTATUS(status);
    e.detail = fmt::format("the plugin worker exited with status {} {}", e.exit_code, what);
  } else {
    e.detail = fmt::format("the plugin worker stopped (wait status {}) {}", status, what);
  }
  return e;
}

Exchange WorkerProcess::request(std::span<const uint8_t> payload, double timeout_s) {
  if (pid_ < 0) {
    try {
      start();
    } catch (const std::exception& ex) {
      Exchange e;
      e.detail = ex.what();
      return e;
    }
  }
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  const auto late = [&] {
    stop(/*kill_it=*/true);
    Exchange e;
    e.kind = Exchange::Kind::timed_out;
    return e;
  };
  uint8_t header[8];
  const uint64_t n = payload.size();
  for (int i = 0; i < 8; ++i) header[i] = static_cast<uint8_t>(n >> (8 * i));
  for (const auto& [bytes, size] : {std::pair<const uint8_t*, size_t>{header, sizeof header}, std::pair<const uint8_t*, size_t>{payload.data(), payload.size()}}) {
    const Io io = send_all(fd_, bytes, size, deadline);
    if (io == Io::late) return late();
    if (io == Io::closed) return fate(false, "before reading the request");
  }
  Io io = receive_exact(fd_, header, sizeof header, deadline);
  if (io == Io::late) return late();
  if (io == Io::closed) return fate(false, "before replying");
  uint64_t reply_size = 0;
  for (int i = 0; i < 8; ++i) reply_size |= uint64_t{header[i]} << (8 * i);
  if (reply_size > wire::kMaxFrameBytes) {
    stop(/*kill_it=*/true);
    Exchange bad;
    bad.detail = fmt::format("the plugin worker announced a reply of {} bytes", reply_size);
    return bad;
  }
  Exchange e;
  e.kind = Exchange::Kind::reply;
  e.payload.resize(static_cast<size_t>(reply_size));
  io = receive_exact(fd_, e.payload.data(), e.payload.size(), deadline);
  if (io == Io::late) return late();
  if (io == Io::closed) return fate(false, "in the middle of a reply");
  return e;
}

}  // namespace flashcheck::plugin
