#include "fuzz/case_mutator.hpp"

#include <array>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>

#include "core/case_codec.hpp"
#include "core/generator.hpp"
#include "core/quantized_kv.hpp"
#include "fuzz/attention_fuzz_case.hpp"

namespace flashcheck::fuzz {

std::string_view mutation_name(CaseMutation m) {
  constexpr std::array<std::string_view, kCaseMutationCount> kNames{
      "fresh_recipe", "query_length",       "key_length",          "heads",          "head_dims",
      "batch",        "dtypes",             "mask_pattern",        "distribution",   "score_options",
      "quantized_kv", "layout",             "seed",                "to_raw",         "raw_special_value",
      "raw_hidden_nonfinite", "raw_mask_entry", "raw_masked_row",  "raw_bit_flip",   "raw_options",
      "cross_over"};
  return kNames[static_cast<size_t>(m)];
}

namespace {

// std::mt19937_64 is specified bit for bit; the reductions below are our own (the
// standard distributions are not), so a seed means the same mutation everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t next() { return engine_(); }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  bool one_in(size_t n) { return below(n) == 0; }
  template <class T, size_t N>
  const T& pick(const std::array<T, N>& table) {
    return table[below(N)];
  }
  template <class T>
  const T& pick(const std::vector<T>& table) {
    return table[below(table.size())];
  }

 private:
  std::mt19937_64 engine_;
};

// Tile edges of the kernels (16-, 32-, 64-key tiles) and the corners around them.
constexpr std::array<int64_t, 8> kQueryLengths{1, 1, 2, 3, 4, 5, 7, 8};
constexpr std::array<int64_t, 14> kKeyLengths{1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96};
// Multiples of 32 (what block-quantized rows need) most of the time.
constexpr std::array<int64_t, 8> kHeadDims{32, 64, 32, 64, 16, 48, 8, 1};
constexpr std::array<std::pair<int64_t, int64_t>, 8> kHeadSplits{
    {{1, 1}, {2, 1}, {2, 2}, {4, 1}, {4, 2}, {4, 4}, {3, 1}, {3, 3}}};
constexpr std::array<DType, 3> kDTypes{DType::f32, DType::f16, DType::bf16};
constexpr std::array<Layout, 3> kLayouts{Layout::contiguous, Layout::seq_major, Layout::padded_rows};
constexpr std::array<float, 10> kScales{0.125f, 0.176776695f, 0.5f, 1.0f, 2.0f, 0.0f, -1.0f, 1e-3f, 8.0f, 0x1p-20f};
constexpr std::array<float, 6> kSoftcaps{0.0f, 0.0f, 1.0f, 5.0f, 20.0f, 50.0f};
constexpr std::array<float, 5> kMaxBiases{0.0f, 0.0f, 0.5f, 1.0f, 8.0f};
constexpr std::array<float, 8> kSinkValues{0.0f, -1.0f, 1.0f, 10.0f, -30.0f, 100.0f, 0x1p-140f, 1e6f};

// Storage encodings (as integers) of the values the kernels' edge cases hinge on.
struct SpecialBits {
  std::vector<uint32_t> finite;     // +-0, subnormals, smallest normal, max finite, huge, 1
  std::vector<uint32_t> nonfinite;  // +-inf, quiet and signalling NaN with payloads
};
const SpecialBits& special_bits(DType t) {
  static const SpecialBits kF32{{0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x00800000u, 0x7f7fffffu,
                                 0xff7fffffu, 0x5f000000u, 0xdf000000u, 0x3f800000u},
                                {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u, 0x7f800001u}};
  static const SpecialBits kF16{{0x0000u, 0x8000u, 0x0001u, 0x83ffu, 0x0400u, 0x7bffu, 0xfbffu, 0x7800u, 0xf800u,
                                 0x3c00u},
                                {0x7c00u, 0xfc00u, 0x7e00u, 0xfe01u, 0x7c01u}};
  static const SpecialBits kBF16{{0x0000u, 0x8000u, 0x0001u, 0x807fu, 0x0080u, 0x7f7fu, 0xff7fu, 0x5f00u, 0xdf00u,
                                  0x3f80u},
                                 {0x7f80u, 0xff80u, 0x7fc0u, 0xffc1u, 0x7f81u}};
  switch (t) {
    case DType::f32: return kF32;
    case DType::f16: return kF16;
    case DType::bf16: return kBF16;
  }
  return kF32;
}

void store_bits(Tensor& t, int64_t b, int64_t h, int64_t s, int64_t d, uint32_t bits) {
  if (traits(t.dtype).size == 4) {
    t.set_bits(b, h, s, d, &bits);
  } else {
    const auto narrow = static_cast<uint16_t>(bits);
    t.set_bits(b, h, s, d, &narrow);
  }
}

struct Index {
  int64_t b, h, s, d;
};
Index random_index(const Tensor& t, Rng& rng) {
  return {static_cast<int64_t>(rng.below(static_cast<size_t>(t.shape[0]))),
          static_cast<int64_t>(rng.below(static_cast<size_t>(t.shape[1]))),
          static_cast<int64_t>(rng.below(static_cast<size_t>(t.shape[2]))),
          static_cast<int64_t>(rng.below(static_cast<size_t>(t.shape[3])))};
}

// ---- recipe mutations -------------------------------------------------------------

CaseRecipe random_recipe(Rng& rng) {
  CaseRecipe r;
  const auto [hq, hkv] = rng.pick(kHeadSplits);
  r.shape = {static_cast<int64_t>(1 + rng.below(2)), hq, hkv, rng.pick(kQueryLengths), rng.pick(kKeyLengths), 64, 64};
  r.shape.dk = r.shape.dv = rng.one_in(2) ? 32 : 64;
  r.q_type = rng.pick(kDTypes);
  r.k_type = rng.pick(kDTypes);
  r.v_type = r.k_type;
  r.o_type = rng.pick(kDTypes);
  const auto dists = all_distributions();
  r.distribution = std::string(dists[rng.below(dists.size())].name);
  const auto masks = all_mask_patterns();
  r.mask = std::string(masks[rng.below(masks.size())].name);
  r.window = static_cast<int64_t>(1 + rng.below(static_cast<size_t>(r.shape.lk)));
  r.seed = rng.next();
  return r;
}

bool mutate_recipe(CaseMutation kind, CaseRecipe& r, Rng& rng) {
  CaseShape& s = r.shape;
  switch (kind) {
    case CaseMutation::query_length: s.lq = rng.pick(kQueryLengths); return true;
    case CaseMutation::key_length: s.lk = rng.pick(kKeyLengths); return true;
    case CaseMutation::heads: std::tie(s.hq, s.hkv) = rng.pick(kHeadSplits); return true;
    case CaseMutation::head_dims:
      s.dk = rng.pick(kHeadDims);
      s.dv = rng.one_in(3) ? rng.pick(kHeadDims) : s.dk;
      return true;
    case CaseMutation::batch: s.batch = s.batch == 1 ? 2 : 1; return true;
    case CaseMutation::dtypes: {
      DType* types[] = {&r.q_type, &r.k_type, &r.v_type, &r.o_type};
      *types[rng.below(4)] = rng.pick(kDTypes);
      if (rng.one_in(2)) *types[rng.below(4)] = rng.pick(kDTypes);
      return true;
    }
    case CaseMutation::mask_pattern: {
      const auto masks = all_mask_patterns();
      if (rng.one_in(3) && r.mask == "window") {
        r.window = static_cast<int64_t>(1 + rng.below(static_cast<size_t>(s.lk + 2)));
      } else {
        r.mask = std::string(masks[rng.below(masks.size())].name);
        r.window = static_cast<int64_t>(1 + rng.below(static_cast<size_t>(s.lk + 2)));
      }
      return true;
    }
    case CaseMutation::distribution: {
      const auto dists = all_distributions();
      r.distribution = std::string(dists[rng.below(dists.size())].name);
      return true;
    }
    case CaseMutation::score_options:
      switch (rng.below(4)) {
        case 0: r.scale = rng.one_in(3) ? std::nullopt : std::optional<float>(rng.pick(kScales)); break;
        case 1: r.softcap = rng.pick(kSoftcaps); break;
        case 2: r.max_bias = rng.pick(kMaxBiases); break;
        default: r.sinks = !r.sinks; break;
      }
      return true;
    case CaseMutation::quantized_kv: {
      const std::vector<std::string> schemes = kv_scheme_names();
      switch (rng.below(5)) {
        case 0: r.k_quant = rng.one_in(4) ? "" : rng.pick(schemes); break;
        case 1: r.v_quant = rng.one_in(4) ? "" : rng.pick(schemes); break;
        case 2: r.kv_layout = r.kv_layout == KvRowLayout::aos ? KvRowLayout::soa : KvRowLayout::aos; break;
        case 3: r.hadamard = !r.hadamard; break;
        default: r.v_nan_scale = !r.v_nan_scale; break;
      }
      // Quantized rows need head dimensions that are multiples of 32.
      if (!r.k_quant.empty() && s.dk % 32 != 0) s.dk = 32;
      if (!r.v_quant.empty() && s.dv % 32 != 0) s.dv = 32;
      return true;
    }
    case CaseMutation::layout: r.layout = rng.pick(kLayouts); return true;
    case CaseMutation::seed: r.seed = rng.one_in(4) ? r.seed + 1 : rng.next(); return true;
    default: return false;
  }
}

// ---- raw case mutations -----------------------------------------------------------

// The tensors whose values may change freely (quantized K / V must stay the
// dequantization of their bytes).
std::vector<Tensor*> free_value_tensors(AttentionCase& c) {
  std::vector<Tensor*> out{&c.q};
  if (!c.k_quant) out.push_back(&c.k);
  if (!c.v_quant) out.push_back(&c.v);
  return out;
}

// After Q changed: the rotated Q that Hadamard-rotated K needs.
void refresh_rotated_q(AttentionCase& c) {
  if (c.rotated_q) c.rotated_q = rotate_q_rows(c.q);
}

Tensor& ensure_mask(AttentionCase& c, Rng& rng) {
  if (!c.mask) c.mask = Tensor::make(rng.one_in(2) ? DType::f32 : DType::f16, {1, 1, c.shape.lq, c.shape.lk});
  return *c.mask;
}

bool raw_special_value(AttentionCase& c, Rng& rng) {
  std::vector<Tensor*> targets = free_value_tensors(c);
  Tensor& t = *targets[rng.below(targets.size())];
  const Index at = random_index(t, rng);
  store_bits(t, at.b, at.h, at.s, at.d, rng.pick(special_bits(t.dtype).finite));
  if (&t == &c.q) refresh_rotated_q(c);
  return true;
}

bool raw_hidden_nonfinite(AttentionCase& c, Rng& rng) {
  std::vector<Tensor*> targets;
  if (!c.k_quant) targets.push_back(&c.k);
  if (!c.v_quant) targets.push_back(&c.v);
  if (targets.empty()) return false;
  std::vector<uint8_t> hidden = keys_hidden_from_every_row(c);
  std::vector<int64_t> hidden_keys;
  for (size_t j = 0; j < hidden.size(); ++j)
    if (hidden[j]) hidden_keys.push_back(static_cast<int64_t>(j));
  if (hidden_keys.empty()) {  // hide one key from every row first
    const auto j = static_cast<int64_t>(rng.below(static_cast<size_t>(c.shape.lk)));
    Tensor& m = ensure_mask(c, rng);
    if (c.mask_kind == MaskKind::none) c.mask_kind = MaskKind::explicit_only;
    for (int64_t i = 0; i < c.shape.lq; ++i) m.set(0, 0, i, j, -std::numeric_limits<double>::infinity());
    hidden_keys.push_back(j);
  }
  Tensor& t = *targets[rng.below(targets.size())];
  Index at = random_index(t, rng);
  at.s = hidden_keys[rng.below(hidden_keys.size())];
  store_bits(t, at.b, at.h, at.s, at.d, rng.pick(special_bits(t.dtype).nonfinite));
  return true;
}

bool raw_mask_entry(AttentionCase& c, Rng& rng) {
  Tensor& m = ensure_mask(c, rng);
  if (c.mask_kind == MaskKind::none) c.mask_kind = MaskKind::explicit_only;
  const Index at = random_index(m, rng);
  const double large_negative = -traits(m.dtype).format.max_finite();
  const std::array<double, 6> values{-std::numeric_limits<double>::infinity(), large_negative, -1e4, 0.0, -0.5, 0.25};
  m.set(0, 0, at.s, at.d, rng.pick(values));
  return true;
}

bool raw_masked_row(AttentionCase& c, Rng& rng) {
  Tensor& m = ensure_mask(c, rng);
  if (c.mask_kind == MaskKind::none) c.mask_kind = MaskKind::explicit_only;
  const auto i = static_cast<int64_t>(rng.below(static_cast<size_t>(c.shape.lq)));
  for (int64_t j = 0; j < c.shape.lk; ++j) m.set(0, 0, i, j, -std::numeric_limits<double>::infinity());
  return true;
}

// Flips one bit of the element's storage encoding.
void flip_element_bit(Tensor& t, Rng& rng) {
  const Index at = random_index(t, rng);
  const size_t size = traits(t.dtype).size;
  const auto byte = static_cast<size_t>(t.offset(at.b, at.h, at.s, at.d)) * size + rng.below(size);
  t.storage[byte] ^= static_cast<std::byte>(1u << rng.below(8));
}

bool raw_bit_flip(AttentionCase& c, Rng& rng) {
  std::vector<Tensor*> targets = free_value_tensors(c);
  if (c.mask) targets.push_back(&*c.mask);
  std::vector<std::pair<QuantizedKv*, Tensor*>> quantized;
  if (c.k_quant) quantized.emplace_back(&*c.k_quant, &c.k);
  if (c.v_quant) quantized.emplace_back(&*c.v_quant, &c.v);
  const size_t choice = rng.below(targets.size() + quantized.size() + (c.sinks.empty() ? 0 : 1));
  if (choice < targets.size()) {
    flip_element_bit(*targets[choice], rng);
    if (targets[choice] == &c.q) refresh_rotated_q(c);
  } else if (choice < targets.size() + quantized.size()) {
    auto [q, dequantized] = quantized[choice - targets.size()];
    if (q->bytes.empty()) return false;
    q->bytes[rng.below(q->bytes.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
    *dequantized = dequantize_kv(*q);
  } else {
    float& sink = c.sinks[rng.below(c.sinks.size())];
    uint32_t bits = 0;
    std::memcpy(&bits, &sink, sizeof bits);
    bits ^= 1u << rng.below(32);
    std::memcpy(&sink, &bits, sizeof bits);
  }
  return true;
}

bool raw_options(AttentionCase& c, Rng& rng) {
  switch (rng.below(4)) {
    case 0: c.scale = rng.pick(kScales); break;
    case 1: c.softcap = rng.pick(kSoftcaps); break;
    case 2: c.max_bias = rng.pick(kMaxBiases); break;
    default:
      if (!c.sinks.empty() && rng.one_in(3)) {
        c.sinks.clear();
      } else {
        c.sinks.resize(static_cast<size_t>(c.shape.hq), 0.0f);
        c.sinks[rng.below(c.sinks.size())] = rng.pick(kSinkValues);
      }
      break;
  }
  return true;
}

bool mutate_raw(CaseMutation kind, AttentionCase& c, Rng& rng) {
  switch (kind) {
    case CaseMutation::raw_special_value: return raw_special_value(c, rng);
    case CaseMutation::raw_hidden_nonfinite: return raw_hidden_nonfinite(c, rng);
    case CaseMutation::raw_mask_entry: return raw_mask_entry(c, rng);
    case CaseMutation::raw_masked_row: return raw_masked_row(c, rng);
    case CaseMutation::raw_bit_flip: return raw_bit_flip(c, rng);
    case CaseMutation::raw_options: return raw_options(c, rng);
    default: return false;
  }
}

constexpr std::array<CaseMutation, 13> kRecipeMutations{
    CaseMutation::query_length, CaseMutation::key_length,    CaseMutation::heads,        CaseMutation::head_dims,
    CaseMutation::batch,        CaseMutation::dtypes,        CaseMutation::mask_pattern, CaseMutation::distribution,
    CaseMutation::score_options, CaseMutation::quantized_kv, CaseMutation::layout,       CaseMutation::seed,
    CaseMutation::to_raw};
constexpr std::array<CaseMutation, 6> kRawMutations{
    CaseMutation::raw_special_value, CaseMutation::raw_hidden_nonfinite, CaseMutation::raw_mask_entry,
    CaseMutation::raw_masked_row,    CaseMutation::raw_bit_flip,         CaseMutation::raw_options};

// ---- acceptance ---------------------------------------------------------------------

// The record's bytes when fuzz_attention accepts it and they fit max_size.
std::optional<std::vector<uint8_t>> accepted_bytes(const CaseRecord& r, size_t max_size) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_case_record(r);
  } catch (const std::exception&) {
    return std::nullopt;  // e.g. a case validate() refuses
  }
  if (bytes.size() > max_size) return std::nullopt;
  const DecodeResult back = decode_case_record(bytes, attention_decode_limits());
  if (!back.record) return std::nullopt;
  const CaseRecord& rec = *back.record;
  const CaseShape& shape = rec.is_recipe() ? std::get<CaseRecipe>(rec.body).shape : std::get<AttentionCase>(rec.body).shape;
  if (!shape_limit_problem(shape).empty()) return std::nullopt;
  if (!rec.is_recipe() && !oracle_definedness_problem(std::get<AttentionCase>(rec.body)).empty()) return std::nullopt;
  return bytes;
}

bool apply(CaseMutation kind, CaseRecord& r, Rng& rng) {
  if (auto* recipe = std::get_if<CaseRecipe>(&r.body)) {
    if (kind != CaseMutation::to_raw) return mutate_recipe(kind, *recipe, rng);
    const CaseRecipe copy = *recipe;
    try {
      r.body = generate(copy);
    } catch (const std::exception&) {
      return false;
    }
    return true;
  }
  try {
    return mutate_raw(kind, std::get<AttentionCase>(r.body), rng);
  } catch (const std::exception&) {  // e.g. quantized bytes that no longer dequantize
    return false;
  }
}

std::optional<CaseRecord> decoded_within_limits(std::span<const uint8_t> bytes) {
  DecodeResult d = decode_case_record(bytes, attention_decode_limits());
  if (!d.record) return std::nullopt;
  const CaseRecord& r = *d.record;
  const CaseShape& shape = r.is_recipe() ? std::get<CaseRecipe>(r.body).shape : std::get<AttentionCase>(r.body).shape;
  if (!shape_limit_problem(shape).empty()) return std::nullopt;
  return std::move(d.record);
}

MutationOutcome fresh(Rng& rng, size_t max_size, std::span<const uint8_t> input) {
  constexpr int kAttempts = 64;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    CaseRecord r{random_recipe(rng), {"fuzz", "random recipe of the case mutator", {}}};
    if (auto bytes = accepted_bytes(r, max_size)) return {std::move(*bytes), CaseMutation::fresh_recipe};
  }
  // Only a max_size below any recipe record gets here: keep what fits of the input.
  return {std::vector<uint8_t>(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(std::min(input.size(), max_size))),
          CaseMutation::fresh_recipe};
}

}  // namespace

MutationOutcome mutate_case_record(std::span<const uint8_t> input, size_t max_size, uint64_t seed) {
  Rng rng(seed);
  if (const std::optional<CaseRecord> original = decoded_within_limits(input)) {
    constexpr int kAttempts = 16;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      const CaseMutation kind = original->is_recipe() ? rng.pick(kRecipeMutations) : rng.pick(kRawMutations);
      CaseRecord candidate = *original;
      if (!apply(kind, candidate, rng)) continue;
      if (auto bytes = accepted_bytes(candidate, max_size)) return {std::move(*bytes), kind};
    }
  }
  return fresh(rng, max_size, input);
}

MutationOutcome cross_over_case_records(std::span<const uint8_t> a, std::span<const uint8_t> b, size_t max_size,
                                        uint64_t seed) {
  Rng rng(seed);
  const std::optional<CaseRecord> ra = decoded_within_limits(a);
  const std::optional<CaseRecord> rb = decoded_within_limits(b);
  if (!ra || !rb || !ra->is_recipe() || !rb->is_recipe()) return mutate_case_record(a, max_size, rng.next());
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    CaseRecipe child = std::get<CaseRecipe>(ra->body);
    const CaseRecipe& other = std::get<CaseRecipe>(rb->body);
    // Field groups that belong together (a quantized scheme with its layout and Hadamard).
    if (rng.one_in(2)) child.shape = other.shape;
    if (rng.one_in(2)) std::tie(child.q_type, child.k_type, child.v_type, child.o_type) =
        std::tie(other.q_type, other.k_type, other.v_type, other.o_type);
    if (rng.one_in(2)) std::tie(child.mask, child.window) = std::tie(other.mask, other.window);
    if (rng.one_in(2)) child.distribution = other.distribution;
    if (rng.one_in(2)) std::tie(child.scale, child.max_bias, child.softcap, child.sinks) =
        std::tie(other.scale, other.max_bias, other.softcap, other.sinks);
    if (rng.one_in(2))
      std::tie(child.k_quant, child.v_quant, child.kv_layout, child.hadamard, child.v_nan_scale) =
          std::tie(other.k_quant, other.v_quant, other.kv_layout, other.hadamard, other.v_nan_scale);
    if (rng.one_in(2)) child.seed = other.seed;
    CaseRecord r{child, ra->notes};
    if (auto bytes = accepted_bytes(r, max_size)) return {std::move(*bytes), CaseMutation::cross_over};
  }
  return mutate_case_record(a, max_size, rng.next());
}

}  // namespace flashcheck::fuzz
