// flashcheck-plugin-worker PLUGIN: loads one plugin and serves the host's describe and
// run requests (plugin_wire.hpp) until its input closes. The host starts it; a plugin
// that crashes or hangs takes this process down, never the host.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "core/case_codec.hpp"
#include "impls/plugin/plugin_case_view.hpp"
#include "impls/plugin/plugin_loader.hpp"
#include "impls/plugin/plugin_wire.hpp"

namespace flashcheck::plugin {
namespace {

struct Channel {
  int in = -1, out = -1;
};

// The protocol keeps the original stdin/stdout; the plugin's own printf goes to stderr
// and its reads see an empty input, so nothing it does can corrupt a frame.
std::optional<Channel> take_standard_streams() {
  Channel ch{dup(STDIN_FILENO), dup(STDOUT_FILENO)};
  const int null_in = open("/dev/null", O_RDONLY);
  if (ch.in < 0 || ch.out < 0 || null_in < 0 || dup2(null_in, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    return std::nullopt;
  close(null_in);
  return ch;
}

std::vector<uint8_t> reply(wire::Reply status, const std::string& message) {
  ByteWriter w;
  w.u8(static_cast<uint8_t>(status));
  w.string(message.size() > wire::kMaxMessageBytes ? message.substr(0, wire::kMaxMessageBytes) : message);
  return std::move(w.buffer());
}

std::vector<uint8_t> describe(const std::optional<LoadedPlugin>& plugin, const std::string& load_error) {
  if (!plugin) return reply(wire::Reply::failure, load_error);
  std::vector<uint8_t> bytes = reply(wire::Reply::ok, "");
  ByteWriter w;
  write_description(w, plugin->description);
  bytes.insert(bytes.end(), w.buffer().begin(), w.buffer().end());
  return bytes;
}

std::vector<uint8_t> run(const LoadedPlugin& plugin, ByteReader& request) {
  const uint32_t index = request.u32("subject index");
  const auto n_threads = static_cast<int32_t>(request.u32("n_threads"));
  if (index >= plugin.description.subjects.size())
    return reply(wire::Reply::failure, "subject index " + std::to_string(index) + " is out of range");
  const DecodeResult decoded = decode_case_record(request.take(request.remaining(), "case record"));
  if (!decoded.record) return reply(wire::Reply::failure, "the case record was rejected: " + decoded.error);
  const AttentionCase c = materialize(*decoded.record);
  const SubjectDescription& description = plugin.description.subjects[index];
  const SubjectRun result =
      run_subject(plugin.plugin->subjects[index], (description.features & FC_FEATURE_LSE) != 0, c, n_threads);
  std::vector<uint8_t> bytes = reply(result.status, result.message);
  if (result.status != wire::Reply::ok) return bytes;
  ByteWriter w;
  w.u64(result.o.storage.size());
  w.bytes({reinterpret_cast<const uint8_t*>(result.o.data()), result.o.storage.size()});
  w.boolean(!result.lse.empty());
  w.u64(result.lse.size());
  for (float x : result.lse) w.f32(x);
  bytes.insert(bytes.end(), w.buffer().begin(), w.buffer().end());
  return bytes;
}

std::vector<uint8_t> serve(const std::optional<LoadedPlugin>& plugin, const std::string& load_error,
                           const std::vector<uint8_t>& frame) {
  try {
    ByteReader r(frame);
    const auto kind = static_cast<wire::Request>(r.u8("request kind"));
    if (kind == wire::Request::describe) return describe(plugin, load_error);
    if (kind != wire::Request::run) return reply(wire::Reply::failure, "unknown request kind");
    if (!plugin) return reply(wire::Reply::failure, load_error);
    return run(*plugin, r);
  } catch (const std::exception& e) {
    return reply(wire::Reply::failure, std::string("bad request: ") + e.what());
  }
}

}  // namespace
}  // namespace flashcheck::plugin

int main(int argc, char** argv) {
  using namespace flashcheck::plugin;
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: %s PLUGIN\nServes flashcheck's requests for the plugin on stdin/stdout; "
                 "flashcheck starts it (flashcheck check --plugin PLUGIN).\n",
                 argv[0]);
    return 2;
  }
  const auto channel = take_standard_streams();
  if (!channel) {
    std::perror("flashcheck-plugin-worker: cannot set up its streams");
    return 1;
  }
  std::optional<LoadedPlugin> plugin;
  std::string load_error;
  try {
    plugin = load_plugin_library(argv[1]);
  } catch (const std::exception& e) {
    load_error = e.what();
  }
  while (const auto frame = wire::read_frame(channel->in))
    if (!wire::write_frame(channel->out, serve(plugin, load_error, *frame))) return 1;
  return 0;
}
