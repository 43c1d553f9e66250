#include "cli/bundle_results.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/bundle_layout.hpp"
#include "cli/npy.hpp"
#include "core/contract.hpp"
#include "core/quantized_kv.hpp"

namespace flashcheck::cli {
namespace {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
}

[[noreturn]] void reject(const std::string& path, const std::string& field, const std::string& problem) {
  throw std::invalid_argument(fmt::format("{}: field '{}': {}", path, field, problem));
}

std::string string_field(const nlohmann::json& j, const std::string& key, const std::string& path, bool required) {
  if (!j.contains(key)) {
    if (required) reject(path, key, "missing");
    return "";
  }
  if (!j[key].is_string()) reject(path, key, "must be a string");
  return j[key].get<std::string>();
}

void check_format(const nlohmann::json& j, std::string_view format, const std::string& path) {
  if (!j.is_object()) throw std::invalid_argument(fmt::format("{}: must be a JSON object", path));
  if (string_field(j, "format", path, true) != format)
    reject(path, "format", fmt::format("must be \"{}\"", format));
  if (!j.contains("version") || !j["version"].is_number_integer()) reject(path, "version", "must be an integer");
  if (j["version"].get<int64_t>() != kBundleVersion)
    reject(path, "version", fmt::format("{} is not supported (this flashcheck reads version {})",
                                        j["version"].dump(), kBundleVersion));
}

// "ok", "unsupported: why", "error: what", or {"status": one of those, "contract": name}.
RunnerCaseStatus parse_status(const nlohmann::json& v, const std::string& path, const std::string& field) {
  RunnerCaseStatus s;
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_object()) {
    text = string_field(v, "status", path, true);
    s.contract = string_field(v, "contract", path, false);
    if (!s.contract.empty() && !find_contract(s.contract))
      reject(path, field + ".contract", fmt::format("unknown contract '{}' (known: {})", s.contract, contract_names()));
  } else {
    reject(path, field, "must be a string or an object");
  }
  const struct {
    std::string_view prefix;
    RunnerCaseStatus::Kind kind;
  } kinds[] = {{"unsupported", RunnerCaseStatus::Kind::unsupported}, {"error", RunnerCaseStatus::Kind::error}};
  if (text == "ok") return s;
  for (const auto& k : kinds)
    if (text.starts_with(k.prefix) && (text.size() == k.prefix.size() || text[k.prefix.size()] == ':')) {
      s.kind = k.kind;
      s.message = text.size() > k.prefix.size() + 1 ? text.substr(k.prefix.size() + 1) : "";
      while (!s.message.empty() && s.message.front() == ' ') s.message.erase(0, 1);
      if (s.message.empty()) s.message = "(no reason given)";
      return s;
    }
  reject(path, field, fmt::format("'{}' is none of \"ok\", \"unsupported: <why>\", \"error: <what>\"", text));
}

std::vector<int64_t> dims(std::initializer_list<int64_t> d) { return d; }

// The O values into a tensor of the case's O dtype, refusing any value the dtype does not hold.
RunResult output_tensor(const NpyArray& a, const AttentionCase& c, const std::string& path, Tensor* o) {
  const auto& s = c.shape;
  const std::vector<int64_t> want = dims({s.batch, s.hq, s.lq, s.dv});
  if (a.shape != want)
    return RunResult::error(fmt::format("{}: shape {} but the case's O is {}", path, npy_shape_text(a.shape),
                                        npy_shape_text(want)));
  const DType t = c.o_type;
  const bool storage = (a.type == NpyType::f32 && t == DType::f32) || (a.type == NpyType::f16 && t == DType::f16) ||
                       (a.type == NpyType::u16 && t == DType::bf16);
  const bool wider = a.type == NpyType::f32 || a.type == NpyType::f64;
  if (!storage && !wider)
    return RunResult::error(fmt::format("{}: dtype {} cannot hold O of dtype {} (write {})", path, npy_descr(a.type),
                                        dtype_name(t), t == DType::bf16 ? "'<u2' bf16 bits" : "the storage dtype"));
  *o = Tensor::make(t, {s.batch, s.hq, s.lq, s.dv});
  const size_t size = traits(t).size;
  for (int64_t n = 0; n < a.numel(); ++n) {
    std::byte* dst = o->data() + static_cast<size_t>(n) * size;
    if (storage) {
      std::copy_n(a.data.data() + static_cast<size_t>(n) * size, size, dst);
      continue;
    }
    const double x = a.value(n);
    traits(t).encode_rne(x, dst);
    const double back = traits(t).decode(dst);
    if (!(back == x || (std::isnan(back) && std::isnan(x))))
      return RunResult::error(fmt::format("{}: element {} = {} ({:a}) is not a {} value: a runner rounds O to the "
                                          "case's O dtype itself",
                                          path, n, x, x, dtype_name(t)));
  }
  return {};
}

RunResult lse_values(const NpyArray& a, const AttentionCase& c, const std::string& path, std::vector<float>* lse) {
  const auto& s = c.shape;
  const std::vector<int64_t> want = dims({s.batch, s.hq, s.lq});
  if (a.shape != want)
    return RunResult::error(fmt::format("{}: shape {} but the case's LSE is {}", path, npy_shape_text(a.shape),
                                        npy_shape_text(want)));
  if (a.type != NpyType::f32 && a.type != NpyType::f64)
    return RunResult::error(fmt::format("{}: dtype {} for the LSE ('<f4' or '<f8' expected)", path, npy_descr(a.type)));
  lse->resize(static_cast<size_t>(a.numel()));
  for (int64_t n = 0; n < a.numel(); ++n) (*lse)[static_cast<size_t>(n)] = static_cast<float>(a.value(n));
  return {};
}

}  // namespace

BundleManifest load_bundle_manifest(const std::string& bundle_dir) {
  const std::string path = bundle_path(bundle_dir, kManifestFile);
  const nlohmann::json j = read_json_file(path);
  check_format(j, kBundleFormat, path);
  BundleManifest m;
  m.flashcheck_version = string_field(j, "flashcheck_version", path, false);
  if (!j.contains("cases") || !j["cases"].is_array()) reject(path, "cases", "must be an array");
  for (size_t n = 0; n < j["cases"].size(); ++n) {
    const nlohmann::json& e = j["cases"][n];
    const std::string field = fmt::format("cases[{}].id", n);
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string()) reject(path, field, "missing or not a string");
    const std::string id = e["id"].get<std::string>();
    if (!is_bundle_name(id)) reject(path, field, fmt::format("'{}' is not a valid case id", id));
    if (std::any_of(m.cases.begin(), m.cases.end(), [&](const BundleManifestCase& c) { return c.id == id; }))
      reject(path, field, fmt::format("'{}' is listed twice", id));
    m.cases.push_back({id, case_dir(bundle_dir, id) + "/" + std::string(kCaseRecordFile)});
  }
  return m;
}

std::vector<std::string> bundle_runner_names(const std::string& bundle_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  const std::filesystem::path root = runner_dir(bundle_dir, "");
  if (!std::filesystem::is_directory(root, ec)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && std::filesystem::exists(entry.path() / std::string(kResultsFile), ec))
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

RunnerResults load_runner_results(const std::string& bundle_dir, const std::string& runner) {
  if (!is_bundle_name(runner)) throw std::invalid_argument(fmt::format("'{}' is not a valid runner name", runner));
  RunnerResults r;
  r.name = runner;
  r.dir = runner_dir(bundle_dir, runner);
  const std::string path = r.dir + "/" + std::string(kResultsFile);
  const nlohmann::json j = read_json_file(path);
  check_format(j, kBundleResultsFormat, path);
  r.subject = string_field(j, "subject", path, true);
  if (r.subject.empty()) reject(path, "subject", "must not be empty");
  r.contract = string_field(j, "contract", path, true);
  if (!find_contract(r.contract))
    reject(path, "contract", fmt::format("unknown contract '{}' (known: {})", r.contract, contract_names()));
  r.device = string_field(j, "device", path, false);
  r.command = string_field(j, "command", path, false);
  if (j.contains("versions")) {
    if (!j["versions"].is_object()) reject(path, "versions", "must be an object of strings");
    for (const auto& [k, v] : j["versions"].items()) r.versions[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  if (!j.contains("cases") || !j["cases"].is_object()) reject(path, "cases", "must be an object keyed by case id");
  for (const auto& [id, v] : j["cases"].items()) {
    const std::string field = "cases." + id;
    if (!is_bundle_name(id)) reject(path, field, "not a valid case id");
    r.cases[id] = parse_status(v, path, field);
  }
  return r;
}

RunResult load_runner_output(const RunnerResults& runner, const std::string& id, const AttentionCase& c) {
  const std::string dir = runner.dir + "/" + id;
  const std::string o_path = dir + "/" + std::string(kOutputFile);
  const std::string lse_path = dir + "/" + std::string(kLseFile);
  // Elements of the largest output the case can have, so a corrupt header cannot make us allocate more.
  const auto& s = c.shape;
  const int64_t limit = std::max<int64_t>(s.batch * s.hq * s.lq * s.dv, 1);
  RunResult result;
  try {
    if (const RunResult bad = output_tensor(read_npy_file(o_path, limit), c, o_path, &result.output.o);
        bad.status != RunResult::Status::ok)
      return bad;
    std::error_code ec;
    if (std::filesystem::exists(lse_path, ec))
      if (const RunResult bad = lse_values(read_npy_file(lse_path, limit), c, lse_path, &result.output.lse);
          bad.status != RunResult::Status::ok)
        return bad;
  } catch (const std::exception& e) {
    return RunResult::error(e.what());
  }
  return result;
}

RecordedBackend::RecordedBackend(std::string name, std::string contract, const AttentionCase& recorded_on,
                                 RunResult result)
    : name_(std::move(name)), contract_(std::move(contract)), recorded_on_(&recorded_on), result_(std::move(result)) {}

Capabilities RecordedBackend::capabilities() const {
  Capabilities caps;
  const std::vector<DType> every{DType::f32, DType::f16, DType::bf16};
  caps.q_types = caps.kv_types = caps.o_types = every;
  caps.max_head_dim = int64_t{1} << 24;
  caps.kv_schemes = kv_scheme_names();
  caps.kv_layouts = {KvRowLayout::aos, KvRowLayout::soa};
  caps.hadamard = true;
  caps.contract = contract_;
  return caps;
}

RunResult RecordedBackend::run(const AttentionCase& c) {
  if (&c != recorded_on_)
    return RunResult::unsupported(kRecordedOnly);
  return result_;
}

}  // namespace flashcheck::cli
