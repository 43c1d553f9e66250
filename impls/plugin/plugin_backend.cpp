#include "impls/plugin/plugin_backend.hpp"

#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/case_codec.hpp"
#include "impls/plugin/plugin_description.hpp"
#include "impls/plugin/plugin_wire.hpp"
#include "impls/plugin/worker_location.hpp"
#include "impls/plugin/worker_process.hpp"

namespace flashcheck::plugin {
namespace {

namespace fs = std::filesystem;

// The reply's status and message; the reader is left at what follows.
std::pair<wire::Reply, std::string> read_reply_head(ByteReader& r) {
  const uint8_t status = r.u8("reply status");
  if (status > static_cast<uint8_t>(wire::Reply::failure)) r.fail("reply status", fmt::format("{} is unknown", status));
  return {static_cast<wire::Reply>(status), r.string("message", wire::kMaxMessageBytes)};
}

std::string exchange_problem(const Exchange& e, double timeout_s) {
  switch (e.kind) {
    case Exchange::Kind::reply: return "";
    case Exchange::Kind::crashed: return crash_text(e.signal);
    case Exchange::Kind::timed_out: return timeout_text(timeout_s);
    case Exchange::Kind::exited:
    case Exchange::Kind::failed: return e.detail;
  }
  return e.detail;
}

RunOutput output_from(ByteReader& r, const AttentionCase& c) {
  const auto& s = c.shape;
  RunOutput out;
  out.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
  const uint64_t o_bytes = r.u64("O size");
  if (o_bytes != out.o.storage.size())
    r.fail("O size", fmt::format("{} bytes where the case needs {}", o_bytes, out.o.storage.size()));
  const auto bytes = r.take(o_bytes, "O");
  std::memcpy(out.o.data(), bytes.data(), bytes.size());
  const bool has_lse = r.boolean("has LSE");
  const uint64_t n = r.u64("LSE count");
  if (has_lse != (n > 0)) r.fail("LSE count", "disagrees with has LSE");
  if (n > r.remaining() / 4) r.fail("LSE count", fmt::format("{} values but {} bytes remain", n, r.remaining()));
  out.lse.resize(static_cast<size_t>(n));
  for (float& x : out.lse) x = r.f32("LSE value");
  return out;
}

}  // namespace

Plugin::Plugin(std::string path, PluginOptions options) : path_(std::move(path)), options_(std::move(options)) {}

Plugin::~Plugin() = default;

std::shared_ptr<Plugin> Plugin::load(const std::string& path, const PluginOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw PluginLoadError(fmt::format("plugin '{}': no such file", path));
  if (fs::is_directory(path, ec)) throw PluginLoadError(fmt::format("plugin '{}' is a directory, not a library", path));
  std::string worker_path = options.worker_path;
  if (worker_path.empty()) {
    std::string why;
    const auto found = find_plugin_worker(&why);
    if (!found) throw PluginLoadError(fmt::format("cannot load plugin '{}': {}", path, why));
    worker_path = *found;
  }
  const std::string absolute = fs::absolute(path, ec).lexically_normal().string();
  std::shared_ptr<Plugin> p(new Plugin(absolute, options));
  p->worker_ = std::make_unique<WorkerProcess>(worker_path, absolute);

  const uint8_t describe = static_cast<uint8_t>(wire::Request::describe);
  const Exchange e = p->worker_->request({&describe, 1}, options.timeout_s);
  if (const std::string problem = exchange_problem(e, options.timeout_s); !problem.empty()) {
    const bool fault = e.kind == Exchange::Kind::crashed || e.kind == Exchange::Kind::timed_out;
    throw PluginLoadError(fault ? fmt::format("plugin '{}' {} while loading", path, problem)
                                : fmt::format("plugin '{}': {}", path, problem));
  }
  try {
    ByteReader r(e.payload);
    const auto [status, message] = read_reply_head(r);
    if (status != wire::Reply::ok) throw PluginLoadError(message);
    const PluginDescription d = read_description(r);
    p->name_ = d.name;
    p->version_ = d.version;
    for (const SubjectDescription& s : d.subjects) p->subjects_.push_back({s.name, s.description, capabilities_of(s)});
  } catch (const ByteReadError& ex) {
    throw PluginLoadError(fmt::format("plugin '{}': the worker's description is malformed: {}", path, ex.what()));
  }
  return p;
}

std::unique_ptr<Backend> Plugin::make_backend(const std::string& subject) {
  for (size_t i = 0; i < subjects_.size(); ++i)
    if (subjects_[i].name == subject) return std::make_unique<PluginBackend>(shared_from_this(), i);
  return nullptr;
}

RunResult Plugin::run(size_t subject, const AttentionCase& c, int n_threads) {
  ByteWriter w;
  w.u8(static_cast<uint8_t>(wire::Request::run));
  w.u32(static_cast<uint32_t>(subject));
  w.u32(static_cast<uint32_t>(n_threads));
  CaseRecord record{c, {}};
  const std::vector<uint8_t> bytes = encode_case_record(record);
  w.bytes(bytes);

  const std::lock_guard lock(mutex_);
  const Exchange e = worker_->request(w.buffer(), options_.timeout_s);
  if (e.kind == Exchange::Kind::crashed) return RunResult::faulted(RunResult::Fault::crashed, crash_text(e.signal));
  if (e.kind == Exchange::Kind::timed_out)
    return RunResult::faulted(RunResult::Fault::timed_out, timeout_text(options_.timeout_s));
  if (e.kind != Exchange::Kind::reply) return RunResult::error(e.detail);
  try {
    ByteReader r(e.payload);
    const auto [status, message] = read_reply_head(r);
    switch (status) {
      case wire::Reply::ok: {
        RunResult result;
        result.output = output_from(r, c);
        return result;
      }
      case wire::Reply::unsupported: return RunResult::unsupported(message);
      case wire::Reply::error: return RunResult::error(message);
      case wire::Reply::failure: return RunResult::error("the plugin worker could not run the case: " + message);
    }
  } catch (const ByteReadError& ex) {
    return RunResult::error(std::string("the plugin worker's reply is malformed: ") + ex.what());
  }
  return RunResult::error("unreachable reply status");
}

PluginBackend::PluginBackend(std::shared_ptr<Plugin> plugin, size_t subject)
    : plugin_(std::move(plugin)), subject_(subject) {}

std::string PluginBackend::name() const { return plugin_->subjects()[subject_].name; }

std::string PluginBackend::description() const {
  const PluginSubject& s = plugin_->subjects()[subject_];
  const std::string version = plugin_->version().empty() ? "" : " " + plugin_->version();
  return fmt::format("{} [plugin {}{}, {}]", s.description, plugin_->name(), version, plugin_->path());
}

Capabilities PluginBackend::capabilities() const { return plugin_->subjects()[subject_].capabilities; }

RunResult PluginBackend::run(const AttentionCase& c) { return plugin_->run(subject_, c, threads_sent()); }

bool PluginBackend::set_threads(int threads) {
  threads_ = threads < 0 ? 0 : threads;
  return true;
}

int PluginBackend::threads_sent() const { return threads_ > 0 ? threads_ : plugin_->options().threads; }

}  // namespace flashcheck::plugin
