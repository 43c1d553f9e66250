// The binary case codec (docs/corpus-format.md, "Binary case files (version 1)").
// Decoding is one reader per format version, each turning its version's bytes into
// today's in-memory CaseRecord; readers are kept forever so old corpus files decode.
#include "core/case_codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <new>
#include <stdexcept>

#include "core/byte_io.hpp"
#include "core/case_json.hpp"
#include "core/case_record_json.hpp"
#include "core/named_values.hpp"

namespace flashcheck {
namespace {

enum class BodyKind : uint8_t { recipe = 0, raw = 1 };

constexpr size_t kMagicBytes = 8;
constexpr size_t kHeaderBytes = kMagicBytes + 2;  // magic, u16 version
constexpr size_t kTrailerBytes = 4;               // CRC-32 of everything before it
// Dimensions are capped at 2^24 whatever DecodeLimits says, and strides at 2^36, so the
// last element's offset, sum of (shape - 1) * stride over four dimensions, stays below
// 2^62 and cannot overflow int64.
constexpr int64_t kMaxStride = int64_t{1} << 36;
constexpr int64_t kMaxDimensionCap = int64_t{1} << 24;

// ---------------------------------------------------------------- CRC-32 (IEEE 802.3)

constexpr std::array<uint32_t, 256> kCrcTable = [] {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}();

uint32_t crc32(std::span<const uint8_t> bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// ---------------------------------------------------------------- writing (current version)

void check_string(std::string_view s, std::string_view field) {
  if (!is_valid_utf8(s)) throw std::invalid_argument(fmt::format("{} is not valid UTF-8", field));
  if (s.size() > DecodeLimits{}.max_string_bytes)
    throw std::invalid_argument(fmt::format("{} holds {} bytes; a case record allows at most {}", field, s.size(),
                                            DecodeLimits{}.max_string_bytes));
}

void put_string(ByteWriter& w, std::string_view s, std::string_view field) {
  check_string(s, field);
  w.string(s);
}

void put_shape(ByteWriter& w, const CaseShape& s) {
  for (int64_t d : {s.batch, s.hq, s.hkv, s.lq, s.lk, s.dk, s.dv}) w.i64(d);
}

void put_dtypes(ByteWriter& w, DType q, DType k, DType v, DType o) {
  for (DType t : {q, k, v, o}) w.string(dtype_name(t));
}

void put_tensor(ByteWriter& w, const Tensor& t) {
  w.string(dtype_name(t.dtype));
  for (int64_t d : t.shape) w.i64(d);
  for (int64_t d : t.strides) w.i64(d);
  w.u64(t.storage.size());
  w.bytes(std::span(reinterpret_cast<const uint8_t*>(t.storage.data()), t.storage.size()));
}

void put_quantized(ByteWriter& w, const std::optional<QuantizedKv>& q) {
  w.boolean(q.has_value());
  if (!q) return;
  w.string(q->scheme);
  w.string(kv_row_layout_name(q->layout));
  w.boolean(q->hadamard);
  for (int64_t d : {q->batch, q->heads, q->tokens, q->dim, q->row_bytes}) w.i64(d);
  w.u64(q->bytes.size());
  w.bytes(q->bytes);
  put_tensor(w, q->source);
}

void put_notes(ByteWriter& w, const CaseNotes& n) {
  put_string(w, n.name, "notes.name");
  put_string(w, n.summary, "notes.summary");
  if (n.kills.size() > DecodeLimits{}.max_kills)
    throw std::invalid_argument(
        fmt::format("{} kills; a case record allows at most {}", n.kills.size(), DecodeLimits{}.max_kills));
  w.u32(static_cast<uint32_t>(n.kills.size()));
  for (const ExpectedKill& k : n.kills) {
    put_string(w, k.backend, "notes.kills.backend");
    put_string(w, k.bug_class, "notes.kills.bug_class");
  }
}

void put_recipe(ByteWriter& w, const CaseRecipe& r) {
  if (const std::string problem = recipe_problem(r); !problem.empty())
    throw std::invalid_argument("cannot encode the recipe: " + problem);
  put_shape(w, r.shape);
  put_dtypes(w, r.q_type, r.k_type, r.v_type, r.o_type);
  put_string(w, r.distribution, "recipe.distribution");
  put_string(w, r.mask, "recipe.mask");
  w.i64(r.window);
  w.boolean(r.scale.has_value());
  w.f32(r.scale.value_or(0.0f));
  w.f32(r.max_bias);
  w.f32(r.softcap);
  w.boolean(r.sinks);
  w.string(layout_name(r.layout));
  put_string(w, r.k_quant, "recipe.k_quant");
  put_string(w, r.v_quant, "recipe.v_quant");
  w.string(kv_row_layout_name(r.kv_layout));
  w.boolean(r.hadamard);
  w.boolean(r.v_nan_scale);
  w.u64(r.seed);
}

void put_raw(ByteWriter& w, const AttentionCase& c) {
  if (const std::string problem = validate(c); !problem.empty())
    throw std::invalid_argument("cannot encode an invalid case: " + problem);
  put_string(w, c.family, "case.family");
  w.u64(c.seed);
  put_shape(w, c.shape);
  put_dtypes(w, c.q_type, c.k_type, c.v_type, c.o_type);
  w.f32(c.scale);
  w.string(to_string(c.mask_kind));
  w.i64(c.window);
  w.f32(c.max_bias);
  w.f32(c.softcap);
  put_tensor(w, c.q);
  put_tensor(w, c.k);
  put_tensor(w, c.v);
  w.boolean(c.mask.has_value());
  if (c.mask) put_tensor(w, *c.mask);
  w.u32(static_cast<uint32_t>(c.sinks.size()));
  for (float s : c.sinks) w.f32(s);
  put_quantized(w, c.k_quant);
  put_quantized(w, c.v_quant);
  w.boolean(c.rotated_q.has_value());
  if (c.rotated_q) put_tensor(w, *c.rotated_q);
}

// ---------------------------------------------------------------- reading version 1

// Reads the body of a version-1 record into the current in-memory record.
class V1Reader {
 public:
  V1Reader(ByteReader& in, const DecodeLimits& limits) : in_(in), lim_(limits) {}

  CaseRecord read() {
    const size_t kind_at = in_.offset();
    const uint8_t kind = in_.u8("body_kind");
    if (kind > static_cast<uint8_t>(BodyKind::raw))
      in_.fail_at(kind_at, "body_kind", fmt::format("{} is not a body kind (0 recipe, 1 raw case)", kind));
    CaseRecord r;
    r.notes = notes();
    if (kind == static_cast<uint8_t>(BodyKind::recipe))
      r.body = recipe();
    else
      r.body = raw();
    return r;
  }

 private:
  std::string str(std::string_view field) { return in_.string(field, lim_.max_string_bytes); }

  CaseNotes notes() {
    CaseNotes n;
    n.name = str("notes.name");
    n.summary = str("notes.summary");
    const size_t at = in_.offset();
    const uint32_t count = in_.u32("notes.kills");
    if (count > lim_.max_kills)
      in_.fail_at(at, "notes.kills", fmt::format("{} kills exceed the limit of {}", count, lim_.max_kills));
    in_.require(uint64_t{count} * 8, "notes.kills");  // two length prefixes each, before reserving
    n.kills.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      ExpectedKill k;
      k.backend = str(fmt::format("notes.kills[{}].backend", i));
      k.bug_class = str(fmt::format("notes.kills[{}].bug_class", i));
      n.kills.push_back(std::move(k));
    }
    return n;
  }

  template <class E>
  E named(std::string_view field, std::optional<E> (*parse)(std::string_view), std::string_view what) {
    const size_t at = in_.offset();
    const std::string name = str(field);
    if (const auto v = parse(name)) return *v;
    in_.fail_at(at, field, fmt::format("unknown {} '{}'", what, name));
  }
  DType dtype(std::string_view field) {
    return named<DType>(
        field, [](std::string_view s) { return parse_dtype(s); }, "dtype");
  }

  CaseShape shape(std::string_view prefix) {
    CaseShape s;
    const std::array<std::pair<const char*, int64_t*>, 7> dims{{{"batch", &s.batch},
                                                                {"hq", &s.hq},
                                                                {"hkv", &s.hkv},
                                                                {"lq", &s.lq},
                                                                {"lk", &s.lk},
                                                                {"dk", &s.dk},
                                                                {"dv", &s.dv}}};
    for (const auto& [name, slot] : dims) {
      const std::string field = fmt::format("{}.shape.{}", prefix, name);
      const size_t at = in_.offset();
      const int64_t d = in_.i64(field);
      if (d < 1) in_.fail_at(at, field, fmt::format("{} is not a positive dimension", d));
      if (d > max_dimension())
        in_.fail_at(at, field, fmt::format("{} exceeds the dimension limit {}", d, max_dimension()));
      *slot = d;
    }
    return s;
  }

  int64_t max_dimension() const { return std::clamp<int64_t>(lim_.max_dimension, 0, kMaxDimensionCap); }

  // Counts elements of the case against the per-tensor and total limits.
  void count_elements(int64_t n, size_t at, std::string_view field) {
    if (n > lim_.max_tensor_elements)
      in_.fail_at(at, field, fmt::format("{} elements exceed the per-tensor limit {}", n, lim_.max_tensor_elements));
    total_ += n;
    if (total_ > lim_.max_total_elements)
      in_.fail_at(
          at, field,
          fmt::format("the case's tensors hold {} elements, beyond the limit {}", total_, lim_.max_total_elements));
  }

  // Product of dims that are each <= 2^24: saturates instead of overflowing.
  static int64_t product(std::initializer_list<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims) {
      if (d == 0) return 0;
      if (n > std::numeric_limits<int64_t>::max() / d) return std::numeric_limits<int64_t>::max();
      n *= d;
    }
    return n;
  }

  Tensor tensor(const std::string& name) {
    Tensor t;
    t.dtype = dtype(name + ".dtype");
    const size_t shape_at = in_.offset();
    for (size_t d = 0; d < 4; ++d) t.shape[d] = in_.i64_in(fmt::format("{}.shape[{}]", name, d), 0, max_dimension());
    for (size_t d = 0; d < 4; ++d) t.strides[d] = in_.i64_in(fmt::format("{}.strides[{}]", name, d), 0, kMaxStride);
    const int64_t numel = product({t.shape[0], t.shape[1], t.shape[2], t.shape[3]});
    count_elements(numel, shape_at, name + ".shape");
    const size_t size_at = in_.offset();
    const uint64_t n_bytes = in_.u64(name + ".storage_bytes");
    const size_t elem = traits(t.dtype).size;
    if (n_bytes % elem != 0)
      in_.fail_at(size_at, name + ".storage_bytes",
                  fmt::format("{} bytes are not a whole number of {} elements", n_bytes, dtype_name(t.dtype)));
    if (numel > 0) {
      int64_t last = 0;  // bounded: 4 * 2^24 * 2^36 < 2^63
      for (size_t d = 0; d < 4; ++d) last += (t.shape[d] - 1) * t.strides[d];
      if (static_cast<uint64_t>(last) >= n_bytes / elem)
        in_.fail_at(size_at, name + ".storage_bytes",
                    fmt::format("strides reach element {} but storage holds {} elements", last, n_bytes / elem));
    }
    const auto bytes = in_.take(n_bytes, name + ".storage");
    t.storage.resize(bytes.size());
    if (!bytes.empty()) std::memcpy(t.storage.data(), bytes.data(), bytes.size());
    return t;
  }

  std::optional<QuantizedKv> quantized(const std::string& name) {
    if (!in_.boolean(name + ".present")) return std::nullopt;
    QuantizedKv q;
    const size_t scheme_at = in_.offset();
    q.scheme = str(name + ".scheme");
    if (!is_kv_scheme(q.scheme))
      in_.fail_at(scheme_at, name + ".scheme", fmt::format("unknown KV block scheme '{}'", q.scheme));
    q.layout = named<KvRowLayout>(name + ".layout", parse_kv_row_layout, "KV row layout");
    q.hadamard = in_.boolean(name + ".hadamard");
    const size_t dims_at = in_.offset();
    for (auto [field, slot] :
         {std::pair{"batch", &q.batch}, {"heads", &q.heads}, {"tokens", &q.tokens}, {"dim", &q.dim}})
      *slot = in_.i64_in(fmt::format("{}.{}", name, field), 1, max_dimension());
    // The dequantized rows are allocated by validate(): count them like a tensor.
    count_elements(product({q.batch, q.heads, q.tokens, q.dim}), dims_at, name);
    q.row_bytes = in_.i64_in(name + ".row_bytes", 1, std::numeric_limits<int32_t>::max());
    const size_t size_at = in_.offset();
    const uint64_t n = in_.u64(name + ".byte_count");
    if (n != static_cast<uint64_t>(product({q.batch, q.tokens, q.row_bytes})))
      in_.fail_at(
          size_at, name + ".byte_count",
          fmt::format("{} bytes; {} rows of {} bytes were declared", n, product({q.batch, q.tokens}), q.row_bytes));
    const auto bytes = in_.take(n, name + ".bytes");
    q.bytes.assign(bytes.begin(), bytes.end());
    q.source = tensor(name + ".source");
    return q;
  }

  CaseRecipe recipe() {
    CaseRecipe r;
    const size_t shape_at = in_.offset();
    r.shape = shape("recipe");
    r.q_type = dtype("recipe.q_type");
    r.k_type = dtype("recipe.k_type");
    r.v_type = dtype("recipe.v_type");
    r.o_type = dtype("recipe.o_type");
    r.distribution = str("recipe.distribution");
    r.mask = str("recipe.mask");
    r.window = in_.i64("recipe.window");
    const bool has_scale = in_.boolean("recipe.has_scale");
    const size_t scale_at = in_.offset();
    const float scale = in_.f32("recipe.scale");
    if (has_scale)
      r.scale = scale;
    else if (std::bit_cast<uint32_t>(scale) != 0)
      in_.fail_at(scale_at, "recipe.scale", "must be 0 when has_scale is 0 (one encoding per recipe)");
    r.max_bias = in_.f32("recipe.max_bias");
    r.softcap = in_.f32("recipe.softcap");
    r.sinks = in_.boolean("recipe.sinks");
    r.layout = named<Layout>("recipe.layout", parse_layout, "layout");
    r.k_quant = str("recipe.k_quant");
    r.v_quant = str("recipe.v_quant");
    r.kv_layout = named<KvRowLayout>("recipe.kv_layout", parse_kv_row_layout, "KV row layout");
    r.hadamard = in_.boolean("recipe.hadamard");
    r.v_nan_scale = in_.boolean("recipe.v_nan_scale");
    r.seed = in_.u64("recipe.seed");
    // The tensors generate() would allocate, against the limits.
    const CaseShape& s = r.shape;
    count_elements(product({s.batch, s.hq, s.lq, s.dk}), shape_at, "recipe.shape (Q to generate)");
    count_elements(product({s.batch, s.hkv, s.lk, s.dk}), shape_at, "recipe.shape (K to generate)");
    count_elements(product({s.batch, s.hkv, s.lk, s.dv}), shape_at, "recipe.shape (V to generate)");
    count_elements(product({s.lq, s.lk}), shape_at, "recipe.shape (mask to generate)");
    return r;
  }

  AttentionCase raw() {
    AttentionCase c;
    c.family = str("case.family");
    c.seed = in_.u64("case.seed");
    c.shape = shape("case");
    c.q_type = dtype("case.q_type");
    c.k_type = dtype("case.k_type");
    c.v_type = dtype("case.v_type");
    c.o_type = dtype("case.o_type");
    c.scale = in_.f32("case.scale");
    c.mask_kind = named<MaskKind>(
        "case.mask_kind", [](std::string_view s) { return parse_mask_kind(std::string(s)); }, "mask kind");
    c.window = in_.i64("case.window");
    c.max_bias = in_.f32("case.max_bias");
    c.softcap = in_.f32("case.softcap");
    c.q = tensor("case.q");
    c.k = tensor("case.k");
    c.v = tensor("case.v");
    if (in_.boolean("case.mask.present")) c.mask = tensor("case.mask");
    const size_t sinks_at = in_.offset();
    const uint32_t n_sinks = in_.u32("case.sinks");
    if (n_sinks != 0 && n_sinks != c.shape.hq)
      in_.fail_at(sinks_at, "case.sinks",
                  fmt::format("{} sinks; a case holds none or one per query head ({})", n_sinks, c.shape.hq));
    in_.require(uint64_t{n_sinks} * 4, "case.sinks");
    c.sinks.resize(n_sinks);
    for (float& s : c.sinks) s = in_.f32("case.sinks");
    c.k_quant = quantized("case.k_quant");
    c.v_quant = quantized("case.v_quant");
    if (in_.boolean("case.rotated_q.present")) c.rotated_q = tensor("case.rotated_q");
    return c;
  }

  ByteReader& in_;
  const DecodeLimits& lim_;
  int64_t total_ = 0;
};

// One reader per version, kept forever: index = version - 1.
using VersionReader = CaseRecord (*)(ByteReader& in, const DecodeLimits& limits);
constexpr std::array<VersionReader, 1> kReaders{
    [](ByteReader& in, const DecodeLimits& limits) { return V1Reader(in, limits).read(); },
};
static_assert(kReaders.size() == kCaseCodecVersion, "every version up to the current one needs its reader");

uint16_t read_u16_le(std::span<const uint8_t> b, size_t at) { return static_cast<uint16_t>(b[at] | (b[at + 1] << 8)); }

DecodeResult decode_unchecked(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  DecodeResult out;
  auto reject = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  if (bytes.size() < kMagicBytes || !looks_like_binary_case(bytes))
    return reject(
        fmt::format("offset 0 (magic): not a flashcheck binary case ({} bytes; a record starts with the 8 bytes "
                    "\"FCASE\\x1a\\r\\n\")",
                    bytes.size()));
  if (bytes.size() < kHeaderBytes + kTrailerBytes)
    return reject(fmt::format("offset {} (header): the record ends after {} bytes; a header and trailer need {}",
                              bytes.size(), bytes.size(), kHeaderBytes + kTrailerBytes));
  out.version = read_u16_le(bytes, kMagicBytes);
  if (out.version == 0 || out.version > kCaseCodecVersion) {
    const std::string why = out.version == 0 ? "version 0 was never written"
                                             : fmt::format("written by a newer flashcheck (version {})", out.version);
    return reject(
        fmt::format("offset {} (version): {}; this build reads versions 1..{}", kMagicBytes, why, kCaseCodecVersion));
  }
  const size_t trailer_at = bytes.size() - kTrailerBytes;
  uint32_t stored = 0;
  for (size_t i = 0; i < 4; ++i) stored |= uint32_t{bytes[trailer_at + i]} << (8 * i);
  const uint32_t computed = crc32(bytes.first(trailer_at));
  if (stored != computed)
    return reject(
        fmt::format("offset {} (checksum): stored CRC-32 {:08x} but the bytes before it give {:08x} "
                    "(corrupt or truncated record)",
                    trailer_at, stored, computed));
  ByteReader in(bytes.subspan(kHeaderBytes, trailer_at - kHeaderBytes), kHeaderBytes);
  try {
    CaseRecord record = kReaders[out.version - 1](in, limits);
    if (!in.at_end())
      return reject(fmt::format("offset {} (trailer): {} bytes follow the record's body before the checksum",
                                in.offset(), in.remaining()));
    std::string problem;
    try {
      if (const auto* recipe = std::get_if<CaseRecipe>(&record.body))
        problem = recipe_problem(*recipe);
      else
        problem = validate(std::get<AttentionCase>(record.body));
    } catch (const std::exception& e) {
      problem = e.what();  // a check that throws instead of reporting (Q's shape disagreeing with Dk, ...)
    }
    if (!problem.empty()) {
      while (!problem.empty() && problem.back() == '\n') problem.pop_back();
      return reject(fmt::format("{} (body): {}", record.is_recipe() ? "recipe" : "case", problem));
    }
    out.record = std::move(record);
  } catch (const ByteReadError& e) {
    return reject(e.what());
  }
  return out;
}

}  // namespace

std::string_view layout_name(Layout l) {
  constexpr std::array<std::pair<Layout, std::string_view>, 3> kNames{
      {{Layout::contiguous, "contiguous"}, {Layout::seq_major, "seq_major"}, {Layout::padded_rows, "padded_rows"}}};
  return name_in<Layout>(kNames, l, "layout");
}

std::optional<Layout> parse_layout(std::string_view s) {
  for (Layout l : {Layout::contiguous, Layout::seq_major, Layout::padded_rows})
    if (layout_name(l) == s) return l;
  return std::nullopt;
}

std::vector<uint8_t> encode_case_record(const CaseRecord& r) {
  ByteWriter w;
  w.raw(kCaseCodecMagic);
  w.u16(kCaseCodecVersion);
  w.u8(static_cast<uint8_t>(r.is_recipe() ? BodyKind::recipe : BodyKind::raw));
  put_notes(w, r.notes);
  if (const auto* recipe = std::get_if<CaseRecipe>(&r.body))
    put_recipe(w, *recipe);
  else
    put_raw(w, std::get<AttentionCase>(r.body));
  w.u32(crc32(w.buffer()));
  return std::move(w.buffer());
}

DecodeResult decode_case_record(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  try {
    return decode_unchecked(bytes, limits);
  } catch (const std::bad_alloc&) {
    DecodeResult out;
    out.error = "out of memory while decoding (limits too generous for this machine)";
    return out;
  } catch (const std::exception& e) {
    DecodeResult out;
    out.error = fmt::format("rejected: {}", e.what());
    return out;
  }
}

bool looks_like_binary_case(std::span<const uint8_t> bytes) {
  return bytes.size() >= kMagicBytes && std::equal(kCaseCodecMagic.begin(), kCaseCodecMagic.end(), bytes.begin(),
                                                   [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

AttentionCase materialize(const CaseRecord& r) {
  if (const auto* recipe = std::get_if<CaseRecipe>(&r.body)) return generate(*recipe);
  return std::get<AttentionCase>(r.body);
}

namespace {

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read case file '{}'", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(fmt::format("error reading case file '{}'", path));
  return bytes;
}

CaseRecord decode_or_throw(const std::string& path, std::span<const uint8_t> bytes) {
  DecodeResult d = decode_case_record(bytes);
  if (!d.record) throw std::invalid_argument(fmt::format("{}: {}", path, d.error));
  return std::move(*d.record);
}

}  // namespace

void save_case_record(const std::string& path, const CaseRecord& r) {
  const std::vector<uint8_t> bytes = encode_case_record(r);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), true);
}

CaseRecord load_case_record(const std::string& path) { return decode_or_throw(path, read_file_bytes(path)); }

CaseRecord load_any_case_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  // A file cut inside the magic is a truncated binary record, not bad JSON.
  const bool magic_prefix =
      !bytes.empty() && bytes.size() < kMagicBytes &&
      kCaseCodecMagic.starts_with(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (looks_like_binary_case(bytes) || magic_prefix) return decode_or_throw(path, bytes);
  try {
    return case_record_from_json_text(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace flashcheck
