#include "cli/bundle_export.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "cli/bundle_layout.hpp"
#include "cli/npy.hpp"
#include "core/case_file_naming.hpp"
#include "core/case_json.hpp"

namespace flashcheck::cli {
namespace {

// bf16 has no NumPy dtype: its bits go out as '<u2' and the manifest names the dtype.
NpyType npy_type_of(DType t) {
  switch (t) {
    case DType::f32: return NpyType::f32;
    case DType::f16: return NpyType::f16;
    case DType::bf16: return NpyType::u16;
  }
  return NpyType::f32;
}

std::vector<int64_t> dims_of(const Tensor& t) { return {t.shape[0], t.shape[1], t.shape[2], t.shape[3]}; }

// The tensor's elements in C order, their storage bits unchanged (any strides).
NpyArray storage_array(const Tensor& t, const std::vector<int64_t>& shape) {
  NpyArray a;
  a.type = npy_type_of(t.dtype);
  a.shape = shape;
  const size_t size = traits(t.dtype).size;
  a.data.resize(static_cast<size_t>(t.numel()) * size);
  size_t at = 0;
  for (int64_t i0 = 0; i0 < t.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < t.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < t.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < t.shape[3]; ++i3, at += size)
          std::memcpy(a.data.data() + at, t.data() + static_cast<size_t>(t.offset(i0, i1, i2, i3)) * size, size);
  return a;
}

NpyArray f32_array(const std::vector<float>& values, std::vector<int64_t> shape) {
  NpyArray a;
  a.type = NpyType::f32;
  a.shape = std::move(shape);
  a.data.resize(values.size() * sizeof(float));
  std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

// Every storage dtype's values are exact in f32, so this copy loses nothing.
NpyArray f32_copy(const Tensor& t) {
  std::vector<float> values;
  values.reserve(static_cast<size_t>(t.numel()));
  for (int64_t i0 = 0; i0 < t.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < t.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < t.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < t.shape[3]; ++i3)
          values.push_back(static_cast<float>(t.get(i0, i1, i2, i3)));
  return f32_array(values, dims_of(t));
}

NpyArray quant_rows(const QuantizedKv& q) {
  NpyArray a;
  a.type = NpyType::u8;
  a.shape = {q.batch, q.tokens, q.row_bytes};
  a.data.resize(q.bytes.size());
  std::memcpy(a.data.data(), q.bytes.data(), q.bytes.size());
  return a;
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
std::string hex(double v) { return fmt::format("{:a}", v); }

nlohmann::json quant_json(const QuantizedKv& q, const std::string& file) {
  return {{"scheme", q.scheme},       {"layout", std::string(kv_row_layout_name(q.layout))},
          {"hadamard", q.hadamard},   {"row_bytes", q.row_bytes},
          {"heads", q.heads},         {"dim", q.dim},
          {"file", file}};
}

class CaseWriter {
 public:
  CaseWriter(std::string dir, nlohmann::json& files) : dir_(std::move(dir)), files_(files) {}
  void put(const std::string& key, const NpyArray& a) {
    const std::string name = key + ".npy";
    write_npy_file(dir_ + "/" + name, a);
    files_[key] = {{"file", name}, {"descr", std::string(npy_descr(a.type))}, {"shape", a.shape}};
  }

 private:
  std::string dir_;
  nlohmann::json& files_;
};

}  // namespace

std::string bundle_case_id(size_t index, const std::string& name) {
  return fmt::format("{:04}-{}", index, file_name_slug(name, "case"));
}

nlohmann::json export_bundle_case(const std::string& bundle_dir, const BundleCase& bc, const AttentionCase& c) {
  const std::string dir = case_dir(bundle_dir, bc.id);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir, ec.message()));

  const std::vector<uint8_t> record = encode_case_record(bc.record);
  write_file_atomically(dir + "/" + std::string(kCaseRecordFile),
                        std::string_view(reinterpret_cast<const char*>(record.data()), record.size()), true);

  const auto& s = c.shape;
  nlohmann::json files = nlohmann::json::object();
  files["case"] = {{"file", std::string(kCaseRecordFile)}};
  CaseWriter w(dir, files);
  w.put("q", storage_array(c.q, dims_of(c.q)));
  w.put("k", storage_array(c.k, dims_of(c.k)));
  w.put("v", storage_array(c.v, dims_of(c.v)));
  w.put("q_f32", f32_copy(c.q));
  w.put("k_f32", f32_copy(c.k));
  w.put("v_f32", f32_copy(c.v));
  w.put("bias", f32_array(c.materialized_mask(), {s.lq, s.lk}));
  if (c.mask) w.put("mask", storage_array(*c.mask, {s.lq, s.lk}));
  if (c.uses_alibi()) {
    std::vector<float> slopes;
    for (int64_t h = 0; h < s.hq; ++h) slopes.push_back(c.slope(h));
    w.put("slopes", f32_array(slopes, {s.hq}));
  }
  if (c.has_sinks()) w.put("sinks", f32_array(c.sinks, {s.hq}));
  if (c.rotated_q) w.put("q_rotated", f32_copy(*c.rotated_q));
  if (c.k_quant) w.put("k_quant", quant_rows(*c.k_quant));
  if (c.v_quant) w.put("v_quant", quant_rows(*c.v_quant));

  const DType o_type = c.o_type;
  nlohmann::json entry;
  entry["id"] = bc.id;
  entry["name"] = bc.record.notes.name;
  entry["summary"] = bc.record.notes.summary;
  entry["origin"] = bc.origin;
  entry["family"] = c.family;
  entry["seed"] = c.seed;
  entry["shape"] = {{"batch", s.batch}, {"hq", s.hq}, {"hkv", s.hkv}, {"lq", s.lq},
                    {"lk", s.lk},       {"dk", s.dk}, {"dv", s.dv}};
  entry["dtypes"] = {{"q", dtype_name(c.q_type)},
                     {"k", dtype_name(c.k_type)},
                     {"v", dtype_name(c.v_type)},
                     {"o", dtype_name(o_type)}};
  entry["scale"] = number(c.scale);
  entry["scale_hex"] = hex(c.scale);
  entry["mask"] = {{"kind", to_string(c.mask_kind)},
                   {"window", c.window},
                   {"explicit", c.mask.has_value()},
                   {"explicit_dtype", c.mask ? nlohmann::json(dtype_name(c.mask->dtype)) : nlohmann::json(nullptr)}};
  entry["max_bias"] = number(c.max_bias);
  entry["max_bias_hex"] = hex(c.max_bias);
  entry["softcap"] = number(c.softcap);
  entry["softcap_hex"] = hex(c.softcap);
  entry["sinks"] = c.has_sinks();
  entry["k_quant"] = c.k_quant ? quant_json(*c.k_quant, "k_quant.npy") : nlohmann::json(nullptr);
  entry["v_quant"] = c.v_quant ? quant_json(*c.v_quant, "v_quant.npy") : nlohmann::json(nullptr);
  entry["dir"] = std::string(kCasesDir) + "/" + bc.id;
  entry["files"] = files;
  entry["outputs"] = {
      {"o", {{"file", std::string(kOutputFile)},
             {"dtype", dtype_name(o_type)},
             {"descr", std::string(npy_descr(npy_type_of(o_type)))},
             {"shape", {s.batch, s.hq, s.lq, s.dv}}}},
      {"lse", {{"file", std::string(kLseFile)}, {"descr", "<f4"}, {"shape", {s.batch, s.hq, s.lq}}, {"optional", true}}}};
  return entry;
}

nlohmann::json bundle_manifest(const std::vector<nlohmann::json>& entries, const std::string& flashcheck_version,
                               const std::string& command_line) {
  nlohmann::json m;
  m["format"] = std::string(kBundleFormat);
  m["version"] = kBundleVersion;
  m["flashcheck_version"] = flashcheck_version;
  m["created_by"] = command_line;
  m["conventions"] = {
      {"layout", "Q [batch][hq][lq][dk], K [batch][hkv][lk][dk], V [batch][hkv][lk][dv], O [batch][hq][lq][dv], "
                 "LSE [batch][hq][lq]; query head h reads KV head h / (hq / hkv)"},
      {"bf16", "stored as '<u2': the upper 16 bits of the IEEE f32 value"},
      {"bias", "bias.npy [lq][lk] f32: the complete additive mask, -inf where a key is hidden; under ALiBi each "
               "head adds slopes[h] * bias"},
      {"causal", "key j visible to query i iff j <= i + (lk - lq) (lower-right aligned)"},
      {"docs", "docs/bundle-protocol.md"}};
  m["cases"] = entries;
  return m;
}

}  // namespace flashcheck::cli
