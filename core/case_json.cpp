#include "core/case_json.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "core/json_fields.hpp"

namespace flashcheck {
namespace {

using nlohmann::json;

// Sanity limits on what a file may declare, so arithmetic on its numbers cannot
// overflow and a tiny file cannot ask for an enormous case. The element limit is the
// generator's own (2^28 per tensor).
constexpr int64_t kMaxElements = int64_t{1} << 28;
constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxStride = int64_t{1} << 31;
constexpr int64_t kMaxStorageElements = int64_t{1} << 31;

constexpr std::string_view kDocument = "case JSON";

[[noreturn]] void reject(std::string_view field, std::string_view problem) {
  reject_json_field(kDocument, field, problem);
}

// ---------------------------------------------------------------- encoding

std::string float_text(float f) { return f32_json_text(f); }

uint32_t storage_word(const std::byte* p, size_t size) {
  if (size == 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    return w;
  }
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

void put_storage_word(std::byte* p, size_t size, uint32_t w) {
  if (size == 2) {
    const auto h = static_cast<uint16_t>(w);
    std::memcpy(p, &h, 2);
    return;
  }
  std::memcpy(p, &w, 4);
}

size_t element_size(DType t) {
  const size_t size = traits(t).size;
  if (size != 2 && size != 4) throw std::logic_error(fmt::format("no case JSON word width for dtype {}", dtype_name(t)));
  return size;
}

json dims_json(const Dims& d) { return json::array({d[0], d[1], d[2], d[3]}); }

json tensor_to_json(const Tensor& t, std::string_view name) {
  const size_t size = element_size(t.dtype);
  if (t.storage.size() % size != 0)
    throw std::invalid_argument(fmt::format("{} storage holds {} bytes, not a whole number of {} elements", name,
                                            t.storage.size(), dtype_name(t.dtype)));
  const size_t n = t.storage.size() / size;
  // One fixed-width hex word per storage element (padding included), in storage order.
  std::string bits;
  bits.reserve(n * (2 * size + 1));
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) bits += ' ';
    bits += fmt::format("{:0{}x}", storage_word(t.storage.data() + i * size, size), 2 * size);
  }
  return {{"dtype", dtype_name(t.dtype)},
          {"shape", dims_json(t.shape)},
          {"strides", dims_json(t.strides)},
          {"storage_elements", n},
          {"bits", std::move(bits)}};
}

json optional_tensor_json(const std::optional<Tensor>& t, std::string_view name) {
  return t ? tensor_to_json(*t, name) : json(nullptr);
}

std::string bytes_hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

json quantized_to_json(const std::optional<QuantizedKv>& q, std::string_view name) {
  if (!q) return nullptr;
  return {{"scheme", q->scheme},
          {"layout", std::string(kv_row_layout_name(q->layout))},
          {"hadamard", q->hadamard},
          {"batch", q->batch},
          {"heads", q->heads},
          {"tokens", q->tokens},
          {"dim", q->dim},
          {"row_bytes", q->row_bytes},
          {"bytes", bytes_hex(q->bytes)},
          {"source", tensor_to_json(q->source, fmt::format("{} source", name))}};
}

// ---------------------------------------------------------------- decoding

// This document's readers: JsonFields with "case JSON" in every message.
class ObjectReader : public JsonFields {
 public:
  ObjectReader(const json& j, std::string path) : JsonFields(j, std::move(path), kDocument) {}
};

std::string read_string(const json& v, std::string_view field) {
  if (!v.is_string()) reject(field, fmt::format("must be a string, not {}", v.type_name()));
  return v.get<std::string>();
}

bool read_bool(const json& v, std::string_view field) {
  if (!v.is_boolean()) reject(field, fmt::format("must be true or false, not {}", v.type_name()));
  return v.get<bool>();
}

int64_t read_int(const json& v, std::string_view field, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) reject(field, fmt::format("must be an integer, not {}", v.type_name()));
  const bool above_int64 = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  const int64_t x = above_int64 ? INT64_MAX : v.get<int64_t>();
  if (above_int64 || x < lo || x > hi) reject(field, fmt::format("{} is outside [{}, {}]", v.dump(), lo, hi));
  return x;
}

uint64_t read_uint64(const json& v, std::string_view field) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) reject(field, fmt::format("{} is negative; expected an unsigned integer", v.dump()));
  reject(field, fmt::format("must be an unsigned integer, not {}", v.type_name()));
}

float read_float(const json& v, std::string_view field) { return f32_from_json(v, kDocument, field); }

DType read_dtype(const json& v, std::string_view field) {
  const std::string name = read_string(v, field);
  if (const auto t = parse_dtype(name)) return *t;
  std::string known;
  for (const auto& t : all_dtypes()) known += (known.empty() ? "" : ", ") + std::string(t.name);
  reject(field, fmt::format("unknown dtype '{}' (expected one of {})", name, known));
}

Dims read_dims(const json& v, std::string_view field, int64_t hi) {
  if (!v.is_array() || v.size() != 4) reject(field, "must be an array of 4 integers");
  Dims d{};
  for (size_t i = 0; i < 4; ++i) d[i] = read_int(v[i], fmt::format("{}[{}]", field, i), 0, hi);
  return d;
}

int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

std::vector<std::byte> read_storage_words(const std::string& bits, std::string_view field, int64_t count,
                                          size_t size) {
  const size_t width = 2 * size;
  const auto n = static_cast<size_t>(count);
  if (bits.size() != (n == 0 ? 0 : n * (width + 1) - 1)) {
    size_t words = 0;
    for (size_t i = 0; i < bits.size(); ++i)
      if (bits[i] != ' ' && (i == 0 || bits[i - 1] == ' ')) ++words;
    reject(field, fmt::format("holds {} characters ({} words) but storage_elements = {} needs {} words of {} hex "
                              "digits separated by single spaces",
                              bits.size(), words, count, count, width));
  }
  std::vector<std::byte> storage(n * size);
  for (size_t i = 0; i < n; ++i) {
    const size_t at = i * (width + 1);
    if (i > 0 && bits[at - 1] != ' ') reject(field, fmt::format("word {} is not preceded by a single space", i));
    uint32_t w = 0;
    for (size_t k = 0; k < width; ++k) {
      const int d = hex_digit(bits[at + k]);
      if (d < 0)
        reject(field, fmt::format("bad hex digit '{}' in word {} ('{}')", bits[at + k], i, bits.substr(at, width)));
      w = (w << 4) | static_cast<uint32_t>(d);
    }
    put_storage_word(storage.data() + i * size, size, w);
  }
  return storage;
}

// Number of elements a shape spans, or nullopt beyond kMaxElements.
std::optional<int64_t> bounded_numel(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
    if (n > kMaxElements / d) return std::nullopt;
    n *= d;
  }
  return n;
}

Tensor tensor_from_json(const json& v, const std::string& field) {
  ObjectReader r(v, field);
  Tensor t;
  t.dtype = read_dtype(r.take("dtype"), r.field("dtype"));
  t.shape = read_dims(r.take("shape"), r.field("shape"), kMaxDim);
  t.strides = read_dims(r.take("strides"), r.field("strides"), kMaxStride);
  const int64_t count = read_int(r.take("storage_elements"), r.field("storage_elements"), 0, kMaxStorageElements);
  t.storage = read_storage_words(read_string(r.take("bits"), r.field("bits")), r.field("bits"), count,
                                 element_size(t.dtype));
  r.finish();

  const auto numel = bounded_numel(t.shape);
  if (!numel)
    reject(r.field("shape"), fmt::format("[{},{},{},{}] holds more than 2^28 elements", t.shape[0], t.shape[1],
                                         t.shape[2], t.shape[3]));
  if (*numel > 0) {
    int64_t last = 0;  // offset of the last element; bounded by the limits above
    for (size_t d = 0; d < 4; ++d) last += (t.shape[d] - 1) * t.strides[d];
    if (last >= count)
      reject(r.field("strides"), fmt::format("reach element {} but storage holds {} elements", last, count));
  }
  return t;
}

std::optional<Tensor> optional_tensor_from_json(const json& v, const std::string& field) {
  if (v.is_null()) return std::nullopt;
  return tensor_from_json(v, field);
}

std::vector<uint8_t> read_hex_bytes(const json& v, std::string_view field) {
  const std::string text = read_string(v, field);
  if (text.size() % 2 != 0) reject(field, fmt::format("has {} hex digits, not two per byte", text.size()));
  std::vector<uint8_t> out(text.size() / 2);
  for (size_t i = 0; i < text.size(); ++i) {
    const int d = hex_digit(text[i]);
    if (d < 0) reject(field, fmt::format("bad hex digit '{}' at position {}", text[i], i));
    out[i / 2] = static_cast<uint8_t>((out[i / 2] << 4) | d);
  }
  return out;
}

std::optional<QuantizedKv> quantized_from_json(const json& v, const std::string& field) {
  if (v.is_null()) return std::nullopt;
  ObjectReader r(v, field);
  QuantizedKv q;
  q.scheme = read_string(r.take("scheme"), r.field("scheme"));
  if (!is_kv_scheme(q.scheme)) {
    std::string known;
    for (const auto& s : kv_scheme_names()) known += (known.empty() ? "" : ", ") + s;
    reject(r.field("scheme"), fmt::format("unknown block scheme '{}' (expected one of {})", q.scheme, known));
  }
  const std::string layout = read_string(r.take("layout"), r.field("layout"));
  const auto parsed_layout = parse_kv_row_layout(layout);
  if (!parsed_layout) reject(r.field("layout"), fmt::format("unknown row layout '{}' (expected aos or soa)", layout));
  q.layout = *parsed_layout;
  q.hadamard = read_bool(r.take("hadamard"), r.field("hadamard"));
  q.batch = read_int(r.take("batch"), r.field("batch"), 0, kMaxDim);
  q.heads = read_int(r.take("heads"), r.field("heads"), 0, kMaxDim);
  q.tokens = read_int(r.take("tokens"), r.field("tokens"), 0, kMaxDim);
  q.dim = read_int(r.take("dim"), r.field("dim"), 0, kMaxDim);
  q.row_bytes = read_int(r.take("row_bytes"), r.field("row_bytes"), 0, kMaxDim);
  q.bytes = read_hex_bytes(r.take("bytes"), r.field("bytes"));
  q.source = tensor_from_json(r.take("source"), r.field("source"));
  r.finish();

  if (!bounded_numel({q.batch, q.heads, q.tokens, q.dim}))
    reject(field, fmt::format("[{},{},{},{}] holds more than 2^28 values", q.batch, q.heads, q.tokens, q.dim));
  int64_t rows = 0, expected_bytes = 0;
  if (__builtin_mul_overflow(q.batch, q.tokens, &rows) || __builtin_mul_overflow(rows, q.row_bytes, &expected_bytes) ||
      expected_bytes != static_cast<int64_t>(q.bytes.size()))
    reject(r.field("bytes"), fmt::format("holds {} bytes but batch * tokens * row_bytes = {} * {} * {}", q.bytes.size(),
                                         q.batch, q.tokens, q.row_bytes));
  return q;
}

CaseShape shape_from_json(const json& v, const std::string& field) {
  ObjectReader r(v, field);
  CaseShape s;
  const std::pair<const char*, int64_t*> dims[] = {{"batch", &s.batch}, {"hq", &s.hq}, {"hkv", &s.hkv}, {"lq", &s.lq},
                                                   {"lk", &s.lk},       {"dk", &s.dk}, {"dv", &s.dv}};
  for (const auto& [key, slot] : dims) *slot = read_int(r.take(key), r.field(key), 0, kMaxDim);
  r.finish();
  return s;
}

}  // namespace

json case_to_json(const AttentionCase& c) {
  const CaseShape& s = c.shape;
  json sinks = json::array();
  for (float v : c.sinks) sinks.push_back(float_text(v));
  return {{"format", kCaseJsonFormat},
          {"version", kCaseJsonVersion},
          {"family", c.family},
          {"seed", c.seed},
          {"shape",
           {{"batch", s.batch}, {"hq", s.hq}, {"hkv", s.hkv}, {"lq", s.lq}, {"lk", s.lk}, {"dk", s.dk}, {"dv", s.dv}}},
          {"dtypes",
           {{"q", dtype_name(c.q_type)}, {"k", dtype_name(c.k_type)}, {"v", dtype_name(c.v_type)},
            {"o", dtype_name(c.o_type)}}},
          {"scale", float_text(c.scale)},
          {"mask_kind", to_string(c.mask_kind)},
          {"window", c.window},
          {"max_bias", float_text(c.max_bias)},
          {"softcap", float_text(c.softcap)},
          {"q", tensor_to_json(c.q, "Q")},
          {"k", tensor_to_json(c.k, "K")},
          {"v", tensor_to_json(c.v, "V")},
          {"mask", optional_tensor_json(c.mask, "mask")},
          {"sinks", std::move(sinks)},
          {"k_quant", quantized_to_json(c.k_quant, "quantized K")},
          {"v_quant", quantized_to_json(c.v_quant, "quantized V")},
          {"rotated_q", optional_tensor_json(c.rotated_q, "rotated Q")}};
}

AttentionCase case_from_json(const json& j) {
  ObjectReader r(j, "");
  const std::string format = read_string(r.take("format"), "format");
  if (format != kCaseJsonFormat) reject("format", fmt::format("is '{}', expected '{}'", format, kCaseJsonFormat));
  const json& version = r.take("version");
  // Non-negative JSON integers are unsigned in nlohmann::json; negative ones signed.
  const bool known_version = version.is_number_unsigned() ? version.get<uint64_t>() == kCaseJsonVersion
                                                          : version.is_number_integer() &&
                                                                version.get<int64_t>() == kCaseJsonVersion;
  if (!known_version)
    reject("version", fmt::format("unknown version {} (this build reads version {})", version.dump(), kCaseJsonVersion));
  r.allow("metadata");

  AttentionCase c;
  c.family = read_string(r.take("family"), "family");
  c.seed = read_uint64(r.take("seed"), "seed");
  c.shape = shape_from_json(r.take("shape"), "shape");
  {
    ObjectReader types(r.take("dtypes"), "dtypes");
    c.q_type = read_dtype(types.take("q"), "dtypes.q");
    c.k_type = read_dtype(types.take("k"), "dtypes.k");
    c.v_type = read_dtype(types.take("v"), "dtypes.v");
    c.o_type = read_dtype(types.take("o"), "dtypes.o");
    types.finish();
  }
  c.scale = read_float(r.take("scale"), "scale");
  const std::string mask_kind = read_string(r.take("mask_kind"), "mask_kind");
  const auto kind = parse_mask_kind(mask_kind);
  if (!kind)
    reject("mask_kind", fmt::format("unknown mask kind '{}' (expected none, causal, window or explicit)", mask_kind));
  c.mask_kind = *kind;
  c.window = read_int(r.take("window"), "window", std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max());
  c.max_bias = read_float(r.take("max_bias"), "max_bias");
  c.softcap = read_float(r.take("softcap"), "softcap");
  c.q = tensor_from_json(r.take("q"), "q");
  c.k = tensor_from_json(r.take("k"), "k");
  c.v = tensor_from_json(r.take("v"), "v");
  c.mask = optional_tensor_from_json(r.take("mask"), "mask");
  const json& sinks = r.take("sinks");
  if (!sinks.is_array()) reject("sinks", fmt::format("must be an array, not {}", sinks.type_name()));
  for (size_t i = 0; i < sinks.size(); ++i) c.sinks.push_back(read_float(sinks[i], fmt::format("sinks[{}]", i)));
  c.k_quant = quantized_from_json(r.take("k_quant"), "k_quant");
  c.v_quant = quantized_from_json(r.take("v_quant"), "v_quant");
  c.rotated_q = optional_tensor_from_json(r.take("rotated_q"), "rotated_q");
  r.finish();

  if (const std::string problems = validate(c); !problems.empty())
    throw std::invalid_argument("case JSON describes an invalid case:\n" + problems);
  return c;
}

std::string case_file_text(const AttentionCase& c, const json& metadata) {
  if (!metadata.is_null() && !metadata.is_object())
    throw std::invalid_argument(fmt::format("case file metadata must be a JSON object, not {}", metadata.type_name()));
  json doc = case_to_json(c);
  doc["metadata"] = metadata.is_null() ? json::object() : metadata;
  // Invalid UTF-8 in a metadata string (a subject's message) must not stop the save.
  return doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

void save_case_file(const std::string& path, const AttentionCase& c, const json& metadata) {
  write_file_atomically(path, case_file_text(c, metadata), true);
}

AttentionCase load_case_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error(fmt::format("case file '{}': is a directory", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("case file '{}': cannot open: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(fmt::format("case file '{}': read failed", path));
  json doc;
  try {
    doc = json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(fmt::format("case file '{}': not valid JSON: {}", path, e.what()));
  }
  try {
    return case_from_json(doc);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("case file '{}': {}", path, e.what()));
  }
}

bool write_file_atomically(const std::string& path, std::string_view text, bool overwrite) {
  namespace fs = std::filesystem;
  static std::atomic<uint64_t> counter{0};
  const fs::path target(path);
  // Same directory as the target, so the final rename or link never crosses filesystems.
  fs::path temp = target;
  temp += fmt::format(".tmp-{}-{}", ::getpid(), counter++);
  auto fail = [&](std::string_view what) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw std::runtime_error(fmt::format("cannot write '{}': {}", path, what));
  };
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) fail(fmt::format("cannot create '{}': {}", temp.string(), std::strerror(errno)));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) fail("write failed");
  }
  if (overwrite) {
    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec) fail(ec.message());
    return true;
  }
  // link() refuses an existing target, so a file another process just wrote is never replaced.
  if (::link(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    const bool no_hard_links = err == EPERM || err == EOPNOTSUPP || err == ENOSYS;
    std::error_code ec;
    if (err == EEXIST || (no_hard_links && fs::exists(target, ec))) {
      fs::remove(temp, ec);
      return false;
    }
    if (!no_hard_links) fail(std::strerror(err));
    // A filesystem without hard links: check, then rename (a narrow race instead of none).
    fs::rename(temp, target, ec);
    if (ec) fail(ec.message());
    return true;
  }
  std::error_code ignored;
  fs::remove(temp, ignored);
  return true;
}

}  // namespace flashcheck
