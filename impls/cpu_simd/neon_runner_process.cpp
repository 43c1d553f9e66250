#include "impls/cpu_simd/neon_runner_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace flashcheck::cpu_simd {
namespace {

namespace fs = std::filesystem;

// Set by CMake: the paths, empty when the tool was not found at configure time, and
// why there is no runner.
constexpr const char* kRunnerPath = FLASHCHECK_NEON_RUNNER;
constexpr const char* kRunnerAbsent = FLASHCHECK_NEON_RUNNER_ABSENT;
constexpr const char* kQemuPath = FLASHCHECK_QEMU_AARCH64;

// A fresh private directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "flashcheck-neon-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot create a temporary directory: " + std::string(std::strerror(errno)));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_bytes(const fs::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::byte> read_bytes(const fs::path& path) {
  const std::string text = read_text(path);
  std::vector<std::byte> bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}

// Runs argv[0] with stdout and stderr into log; returns the wait status.
int spawn_and_wait(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(spawned));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waiting for " + args[0] + ": " + std::strerror(errno));
  return status;
}

}  // namespace

std::optional<std::string> neon_runner_missing() {
  if (std::string(kRunnerPath).empty()) return std::string(kRunnerAbsent);
  if (std::string(kQemuPath).empty())
    return "qemu-aarch64-static was not found when the build was configured: the NEON runner cannot be run here";
  std::error_code ec;
  if (!fs::exists(kRunnerPath, ec)) return std::string("the NEON runner ") + kRunnerPath + " has not been built";
  if (!fs::exists(kQemuPath, ec)) return std::string(kQemuPath) + " is no longer installed";
  return std::nullopt;
}

std::vector<std::byte> run_neon_runner(const std::vector<std::string>& flags, std::span<const std::byte> request) {
  if (auto why = neon_runner_missing()) throw std::runtime_error(*why);
  const TempDir dir;
  const fs::path in = dir.path() / "request", out = dir.path() / "response", log = dir.path() / "log";
  write_bytes(in, request);
  std::vector<std::string> args{kQemuPath, kRunnerPath};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(in.string());
  args.push_back(out.string());
  const int status = spawn_and_wait(args, log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(out))
    throw std::runtime_error("the NEON runner failed (wait status " + std::to_string(status) + "): " + read_text(log));
  return read_bytes(out);
}

wire::Reader open_response(const std::vector<std::byte>& response) {
  wire::Reader r(response.data(), response.size());
  r.expect_magic(wire::kResponseMagic, "a runner response");
  const auto status = static_cast<wire::Status>(r.get<uint8_t>("status"));
  const auto length = r.get<uint64_t>("message length");
  const std::byte* text = r.take(length, "message");
  if (status != wire::Status::ok)
    throw std::runtime_error("NEON runner: " + std::string(reinterpret_cast<const char*>(text), length));
  return r;
}

}  // namespace flashcheck::cpu_simd
