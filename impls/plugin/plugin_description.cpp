#include "impls/plugin/plugin_description.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "core/contract.hpp"
#include "core/quantized_kv.hpp"

namespace flashcheck::plugin {
namespace {

constexpr size_t kMaxText = 4096;        // any string a plugin hands over
constexpr size_t kMaxNameLength = 64;    // subject and plugin names
constexpr int32_t kMaxSubjects = 1024;
constexpr uint32_t kKnownDtypeBits = FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16) | FC_DTYPE_BIT(FC_DTYPE_BF16);
constexpr uint32_t kKnownFeatureBits = (FC_FEATURE_HADAMARD << 1) - 1;
constexpr uint32_t kKnownLayoutBits = FC_KV_LAYOUT_BIT(FC_KV_AOS) | FC_KV_LAYOUT_BIT(FC_KV_SOA);

struct FeatureFlag {
  uint32_t bit;
  bool Capabilities::*flag;
};
constexpr std::array<FeatureFlag, 11> kFeatureFlags{{
    {FC_FEATURE_CAUSAL, &Capabilities::causal},
    {FC_FEATURE_WINDOW, &Capabilities::window},
    {FC_FEATURE_EXPLICIT_MASK, &Capabilities::explicit_mask},
    {FC_FEATURE_ALIBI, &Capabilities::alibi},
    {FC_FEATURE_SOFTCAP, &Capabilities::softcap},
    {FC_FEATURE_SINKS, &Capabilities::sinks},
    {FC_FEATURE_GQA, &Capabilities::gqa},
    {FC_FEATURE_STRIDED, &Capabilities::strided},
    {FC_FEATURE_DK_NE_DV, &Capabilities::dk_ne_dv},
    {FC_FEATURE_LSE, &Capabilities::lse},
    {FC_FEATURE_HADAMARD, &Capabilities::hadamard},
}};

constexpr std::array<std::pair<fc_dtype, DType>, 3> kDtypes{{
    {FC_DTYPE_F32, DType::f32}, {FC_DTYPE_F16, DType::f16}, {FC_DTYPE_BF16, DType::bf16}}};

// A C string of bounded length (never reads past max + 1 bytes).
std::string bounded(const char* s, size_t max, bool* too_long) {
  *too_long = false;
  if (!s) return {};
  size_t n = 0;
  while (n <= max && s[n] != '\0') ++n;
  if (n > max) *too_long = true;
  return std::string(s, std::min(n, max));
}

std::string text_problem(const char* s, std::string_view what, bool required) {
  bool too_long = false;
  const std::string text = bounded(s, kMaxText, &too_long);
  if (required && text.empty()) return fmt::format("{} is NULL or empty", what);
  if (too_long) return fmt::format("{} is longer than {} bytes", what, kMaxText);
  if (!is_valid_utf8(text)) return fmt::format("{} is not valid UTF-8", what);
  return "";
}

bool is_subject_name(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNameLength && std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
  });
}

std::vector<std::string> split_schemes(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

std::string mask_problem(uint32_t mask, uint32_t known, std::string_view what, bool required) {
  if (mask & ~known) return fmt::format("{} has unknown bits 0x{:x} (known: 0x{:x})", what, mask & ~known, known);
  if (required && mask == 0) return fmt::format("{} is 0: the subject must take at least one", what);
  return "";
}

std::string subject_problem(const fc_subject& s) {
  if (!s.name) return "has a NULL name";
  bool too_long = false;
  const std::string name = bounded(s.name, kMaxNameLength, &too_long);
  if (too_long || !is_subject_name(name))
    return fmt::format("name '{}' is not a valid subject name ([a-z0-9_.-]+, at most {} characters)",
                       too_long ? name + "..." : name, kMaxNameLength);
  const auto in_subject = [&](const std::string& problem) {
    return problem.empty() ? problem : fmt::format("'{}': {}", name, problem);
  };
  if (!s.run) return in_subject("run is NULL");
  for (const auto& [text, what] : {std::pair{s.description, "description"}, std::pair{s.contract, "contract"},
                                   std::pair{s.contract_note, "contract_note"}, std::pair{s.kv_schemes, "kv_schemes"}})
    if (auto p = text_problem(text, what, false); !p.empty()) return in_subject(p);
  for (const auto& [mask, known, what] :
       {std::tuple{s.q_dtypes, kKnownDtypeBits, "q_dtypes"}, std::tuple{s.kv_dtypes, kKnownDtypeBits, "kv_dtypes"},
        std::tuple{s.o_dtypes, kKnownDtypeBits, "o_dtypes"}, std::tuple{s.features, kKnownFeatureBits, "features"}})
    if (auto p = mask_problem(mask, known, what, known == kKnownDtypeBits); !p.empty()) return in_subject(p);
  if (s.max_head_dim < 1) return in_subject(fmt::format("max_head_dim is {}; it must be at least 1", s.max_head_dim));
  const std::string contract = s.contract && *s.contract ? s.contract : "fp32";
  if (!find_contract(contract))
    return in_subject(fmt::format("unknown contract '{}' (known: {})", contract, contract_names()));
  const std::vector<std::string> schemes = split_schemes(s.kv_schemes ? s.kv_schemes : "");
  for (const std::string& scheme : schemes)
    if (!is_kv_scheme(scheme))
      return in_subject(fmt::format("unknown block scheme '{}' in kv_schemes (known: {})", scheme,
                                    fmt::join(kv_scheme_names(), ", ")));
  if (auto p = mask_problem(s.kv_layouts, kKnownLayoutBits, "kv_layouts", !schemes.empty()); !p.empty())
    return in_subject(p);
  return "";
}

}  // namespace

std::string plugin_problem(const fc_plugin* p) {
  if (!p)
    return fmt::format("flashcheck_plugin({}) returned NULL: the plugin cannot serve this flashcheck "
                       "(built against another version of flashcheck/backend.h?)",
                       FC_PLUGIN_ABI_VERSION);
  if (p->abi_version != FC_PLUGIN_ABI_VERSION)
    return fmt::format("the plugin was built for plugin ABI version {}, but this flashcheck speaks version {}: "
                       "rebuild it against this flashcheck's flashcheck/backend.h",
                       p->abi_version, FC_PLUGIN_ABI_VERSION);
  if (p->struct_size < sizeof(fc_plugin))
    return fmt::format("fc_plugin.struct_size is {}, but ABI version {} needs at least {}", p->struct_size,
                       FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin));
  if (auto problem = text_problem(p->name, "the plugin name", true); !problem.empty()) return problem;
  if (auto problem = text_problem(p->version, "the plugin version", false); !problem.empty()) return problem;
  if (p->n_subjects < 1 || p->n_subjects > kMaxSubjects)
    return fmt::format("n_subjects is {}; a plugin exports 1 to {} subjects", p->n_subjects, kMaxSubjects);
  if (!p->subjects) return "subjects is NULL";
  if (p->subject_size != sizeof(fc_subject))
    return fmt::format("fc_plugin.subject_size is {}, but ABI version {} has sizeof(fc_subject) = {}", p->subject_size,
                       FC_PLUGIN_ABI_VERSION, sizeof(fc_subject));
  std::set<std::string> names;
  for (int32_t i = 0; i < p->n_subjects; ++i) {
    const fc_subject& s = p->subjects[i];
    if (auto problem = subject_problem(s); !problem.empty()) return fmt::format("subject {} {}", i, problem);
    if (!names.insert(s.name).second) return fmt::format("subject name '{}' is used twice", s.name);
  }
  return "";
}

PluginDescription describe_plugin(const fc_plugin& p) {
  PluginDescription d;
  d.name = p.name;
  d.version = p.version ? p.version : "";
  for (int32_t i = 0; i < p.n_subjects; ++i) {
    const fc_subject& s = p.subjects[i];
    SubjectDescription sd;
    sd.name = s.name;
    sd.description = s.description ? s.description : "";
    sd.q_dtypes = s.q_dtypes;
    sd.kv_dtypes = s.kv_dtypes;
    sd.o_dtypes = s.o_dtypes;
    sd.features = s.features;
    sd.max_head_dim = s.max_head_dim;
    sd.kv_schemes = s.kv_schemes ? s.kv_schemes : "";
    sd.kv_layouts = s.kv_layouts;
    sd.contract = s.contract && *s.contract ? s.contract : "fp32";
    sd.contract_note = s.contract_note ? s.contract_note : "";
    d.subjects.push_back(std::move(sd));
  }
  return d;
}

Capabilities capabilities_of(const SubjectDescription& s) {
  Capabilities c;
  const auto types = [](uint32_t mask) {
    std::vector<DType> out;
    for (const auto& [bit, type] : kDtypes)
      if (mask & FC_DTYPE_BIT(bit)) out.push_back(type);
    return out;
  };
  c.q_types = types(s.q_dtypes);
  c.kv_types = types(s.kv_dtypes);
  c.o_types = types(s.o_dtypes);
  for (const FeatureFlag& f : kFeatureFlags) c.*f.flag = (s.features & f.bit) != 0;
  c.max_head_dim = s.max_head_dim;
  c.kv_schemes = split_schemes(s.kv_schemes);
  c.kv_layouts.clear();
  if (s.kv_layouts & FC_KV_LAYOUT_BIT(FC_KV_AOS)) c.kv_layouts.push_back(KvRowLayout::aos);
  if (s.kv_layouts & FC_KV_LAYOUT_BIT(FC_KV_SOA)) c.kv_layouts.push_back(KvRowLayout::soa);
  c.contract = s.contract;
  c.contract_note = s.contract_note;
  return c;
}

void write_description(ByteWriter& w, const PluginDescription& d) {
  w.string(d.name);
  w.string(d.version);
  w.u32(static_cast<uint32_t>(d.subjects.size()));
  for (const SubjectDescription& s : d.subjects) {
    w.string(s.name);
    w.string(s.description);
    w.u32(s.q_dtypes);
    w.u32(s.kv_dtypes);
    w.u32(s.o_dtypes);
    w.u32(s.features);
    w.i64(s.max_head_dim);
    w.string(s.kv_schemes);
    w.u32(s.kv_layouts);
    w.string(s.contract);
    w.string(s.contract_note);
  }
}

PluginDescription read_description(ByteReader& r) {
  PluginDescription d;
  d.name = r.string("plugin name", kMaxText);
  d.version = r.string("plugin version", kMaxText);
  const uint32_t n = r.u32("subject count");
  if (n > static_cast<uint32_t>(kMaxSubjects)) r.fail("subject count", fmt::format("{} subjects", n));
  for (uint32_t i = 0; i < n; ++i) {
    SubjectDescription s;
    s.name = r.string("subject name", kMaxText);
    s.description = r.string("description", kMaxText);
    s.q_dtypes = r.u32("q_dtypes");
    s.kv_dtypes = r.u32("kv_dtypes");
    s.o_dtypes = r.u32("o_dtypes");
    s.features = r.u32("features");
    s.max_head_dim = r.i64("max_head_dim");
    s.kv_schemes = r.string("kv_schemes", kMaxText);
    s.kv_layouts = r.u32("kv_layouts");
    s.contract = r.string("contract", kMaxText);
    s.contract_note = r.string("contract_note", kMaxText);
    d.subjects.push_back(std::move(s));
  }
  return d;
}

}  // namespace flashcheck::plugin
