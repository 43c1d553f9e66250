#include "core/backend.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>

namespace flashcheck {
namespace {

bool contains(const std::vector<DType>& types, DType t) { return std::find(types.begin(), types.end(), t) != types.end(); }

std::string type_list(const std::vector<DType>& types) {
  std::string s;
  for (DType t : types) s += (s.empty() ? "" : ", ") + dtype_name(t);
  return s.empty() ? "none" : s;
}

// One line per optional feature: whether the case needs it, whether the backend has it.
struct FeatureCheck {
  bool needed;
  bool supported;
  const char* what;
};

// Largest element offset + 1 a tensor's strides reach, in elements.
int64_t element_extent(const Tensor& t) {
  int64_t max_off = 0;
  for (int d = 0; d < 4; ++d)
    if (t.shape[d] > 0) max_off += (t.shape[d] - 1) * t.strides[d];
  return max_off + 1;
}


std::optional<std::string> quantized_kv_reason(const Capabilities& caps, const AttentionCase& c) {
  for (const auto& [name, q] : {std::pair{"K", &c.k_quant}, std::pair{"V", &c.v_quant}}) {
    if (!q->has_value()) continue;
    const QuantizedKv& kv = **q;
    if (std::find(caps.kv_schemes.begin(), caps.kv_schemes.end(), kv.scheme) == caps.kv_schemes.end())
      return fmt::format("{} stored as {} is not read (quantized KV read: {})", name, kv.scheme,
                         caps.kv_schemes.empty() ? std::string("none") : fmt::format("{}", fmt::join(caps.kv_schemes, ", ")));
    if (std::find(caps.kv_layouts.begin(), caps.kv_layouts.end(), kv.layout) == caps.kv_layouts.end())
      return fmt::format("{} rows in {} layout are not read", name, kv_row_layout_name(kv.layout));
    if (kv.hadamard && !caps.hadamard) return fmt::format("Hadamard-rotated {} (Q rotation) is not supported", name);
  }
  return std::nullopt;
}

}  // namespace

std::string output_problem(const AttentionCase& c, const RunOutput& out) {
  const auto& s = c.shape;
  const Dims want{s.batch, s.hq, s.lq, s.dv};
  if (out.o.dtype != c.o_type)
    return fmt::format("O has dtype {} but the case asks for {}", dtype_name(out.o.dtype), dtype_name(c.o_type));
  if (out.o.shape != want)
    return fmt::format("O has shape [{},{},{},{}] but the case needs [{},{},{},{}]", out.o.shape[0], out.o.shape[1],
                       out.o.shape[2], out.o.shape[3], want[0], want[1], want[2], want[3]);
  for (int64_t st : out.o.strides)
    if (st < 0) return "O has a negative stride";
  const int64_t need_bytes = element_extent(out.o) * static_cast<int64_t>(traits(out.o.dtype).size);
  if (need_bytes > static_cast<int64_t>(out.o.storage.size()))
    return fmt::format("O strides reach byte {} but its storage holds {}", need_bytes, out.o.storage.size());
  const int64_t rows = s.batch * s.hq * s.lq;
  const auto lse_size = static_cast<int64_t>(out.lse.size());
  if (lse_size != 0 && lse_size != rows)
    return fmt::format("LSE has {} values; it must be empty or hold B*Hq*Lq = {}", lse_size, rows);
  return {};
}

std::optional<std::string> unsupported_reason(const Capabilities& caps, const AttentionCase& c) {
  const struct {
    const char* tensor;
    DType type;
    const std::vector<DType>& allowed;
    bool quantized;  // the dtype is then the dequantized f32; the scheme is checked below
  } type_checks[] = {
      {"Q", c.q_type, caps.q_types, false},
      {"K", c.k_type, caps.kv_types, c.k_quant.has_value()},
      {"V", c.v_type, caps.kv_types, c.v_quant.has_value()},
      {"O", c.o_type, caps.o_types, false},
  };
  for (const auto& t : type_checks)
    if (!t.quantized && !contains(t.allowed, t.type))
      return fmt::format("{} dtype {} is not supported (supported: {})", t.tensor, dtype_name(t.type),
                         type_list(t.allowed));

  if (auto why = quantized_kv_reason(caps, c)) return why;

  const auto& s = c.shape;
  const bool strided = !c.q.is_contiguous() || !c.k.is_contiguous() || !c.v.is_contiguous();
  const FeatureCheck features[] = {
      {c.mask_kind == MaskKind::causal, caps.causal, "causal masking"},
      {c.mask_kind == MaskKind::window, caps.window, "sliding-window masking"},
      {c.mask.has_value() || c.mask_kind == MaskKind::explicit_only, caps.explicit_mask, "an explicit additive mask"},
      {c.uses_alibi(), caps.alibi, "ALiBi position bias"},
      {c.softcap > 0.0f, caps.softcap, "logit soft-capping"},
      {c.has_sinks(), caps.sinks, "attention sinks"},
      {s.hq != s.hkv, caps.gqa, "grouped-query attention (Hq != Hkv)"},
      {strided, caps.strided, "non-contiguous Q/K/V views"},
      {s.dk != s.dv, caps.dk_ne_dv, "different K and V head dimensions"},
  };
  for (const auto& f : features)
    if (f.needed && !f.supported) return fmt::format("{} is not supported", f.what);

  const int64_t head_dim = std::max(s.dk, s.dv);
  if (head_dim > caps.max_head_dim)
    return fmt::format("head dimension {} exceeds the supported maximum {}", head_dim, caps.max_head_dim);
  return std::nullopt;
}

RunResult run_checked(Backend& b, const AttentionCase& c) {
  // A malformed case would make any kernel read out of bounds; reject it before running.
  if (const std::string problems = validate(c); !problems.empty())
    return RunResult::error("invalid case: " + problems.substr(0, problems.find_last_not_of('\n') + 1));
  if (auto why = unsupported_reason(b.capabilities(), c)) return RunResult::unsupported(*why);
  RunResult r;
  try {
    r = b.run(c);
  } catch (const std::exception& e) {
    return RunResult::error(fmt::format("{} threw: {}", b.name(), e.what()));
  } catch (...) {
    return RunResult::error(fmt::format("{} threw an unknown exception", b.name()));
  }
  if (r.status != RunResult::Status::ok) return r;
  if (const std::string problem = output_problem(c, r.output); !problem.empty())
    return RunResult::error(fmt::format("{} returned a malformed output: {}", b.name(), problem));
  return r;
}

std::string fault_name(RunResult::Fault f) {
  switch (f) {
    case RunResult::Fault::none: return "";
    case RunResult::Fault::crashed: return "crashed";
    case RunResult::Fault::timed_out: return "timed_out";
  }
  return "";
}

namespace {
std::mutex origin_mutex;
std::map<std::string, std::string>& origin_flags() {
  static std::map<std::string, std::string> flags;
  return flags;
}
}  // namespace

void set_subject_origin_flags(const std::string& subject, std::string flags) {
  const std::lock_guard lock(origin_mutex);
  origin_flags()[subject] = std::move(flags);
}

std::string subject_origin_flags(const std::string& spec) {
  const std::lock_guard lock(origin_mutex);
  const auto found = origin_flags().find(split_backend_spec(spec).first);
  return found == origin_flags().end() ? std::string() : found->second;
}

std::string backend_spec(const std::string& subject, const std::string& mutant) {
  return mutant.empty() ? subject : subject + "@" + mutant;
}

std::pair<std::string, std::string> split_backend_spec(const std::string& spec) {
  const auto at = spec.find('@');
  if (at == std::string::npos) return {spec, {}};
  return {spec.substr(0, at), spec.substr(at + 1)};
}

void Registry::add(std::string name, Factory f) {
  if (name.empty()) throw std::invalid_argument("a backend needs a non-empty name");
  if (name.find('@') != std::string::npos)
    throw std::invalid_argument(fmt::format("backend name '{}' may not contain '@' (it separates a mutant)", name));
  if (!f) throw std::invalid_argument(fmt::format("backend '{}' registered without a factory", name));
  for (const auto& e : entries_)
    if (e.first == name) throw std::invalid_argument(fmt::format("backend '{}' is already registered", name));
  entries_.emplace_back(std::move(name), std::move(f));
}

void Registry::add(std::string name, std::function<std::unique_ptr<Backend>()> f) {
  if (!f) throw std::invalid_argument(fmt::format("backend '{}' registered without a factory", name));
  add(std::move(name), Factory([f = std::move(f)](const std::string&) { return f(); }));
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

std::unique_ptr<Backend> Registry::make(const std::string& spec) const {
  const auto [subject, mutant] = split_backend_spec(spec);
  for (const auto& e : entries_) {
    if (e.first != subject) continue;
    if (mutant.empty()) return e.second("");
    // Check the name against the correct kernel's catalogue before building the mutant,
    // so a misspelt switch never silently builds the correct kernel.
    std::string known;
    for (const MutantInfo& m : e.second("")->mutants()) {
      if (m.name == mutant) return e.second(mutant);
      known += (known.empty() ? "" : ", ") + m.name;
    }
    throw std::invalid_argument(fmt::format("backend '{}' has no mutant '{}' (mutants: {})", subject, mutant,
                                            known.empty() ? "none" : known));
  }
  return nullptr;
}

}  // namespace flashcheck
