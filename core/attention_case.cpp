#include "core/attention_case.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>

namespace flashcheck {

bool AttentionCase::structurally_visible(int64_t i, int64_t j) const {
  const int64_t pos = i + shape.decode_offset();  // absolute position of query i
  switch (mask_kind) {
    case MaskKind::none:
    case MaskKind::explicit_only:
      return true;
    case MaskKind::causal:
      return j <= pos;
    case MaskKind::window:
      return j <= pos && pos - j < window;
  }
  return true;
}

double AttentionCase::bias(int64_t i, int64_t j) const {
  if (!structurally_visible(i, j)) return -std::numeric_limits<double>::infinity();
  double b = mask ? mask->get(0, 0, i, j) : 0.0;
  if (uses_alibi()) b -= static_cast<double>(std::llabs(i + shape.decode_offset() - j));
  return b;
}

float AttentionCase::slope(int64_t h) const {
  if (!uses_alibi()) return 1.0f;
  // ggml's definition: slopes m0^(h+1) for the first 2^floor(log2(H)) heads, then
  // odd powers of m1 for the rest. Computed in double, rounded once to f32.
  const int64_t n_head_log2 = int64_t{1} << static_cast<int>(std::floor(std::log2(static_cast<double>(shape.hq))));
  const double m0 = std::exp2(-static_cast<double>(max_bias) / static_cast<double>(n_head_log2));
  const double m1 = std::exp2(-static_cast<double>(max_bias) / 2.0 / static_cast<double>(n_head_log2));
  const double s = h < n_head_log2 ? std::pow(m0, static_cast<double>(h + 1))
                                   : std::pow(m1, static_cast<double>(2 * (h - n_head_log2) + 1));
  return static_cast<float>(s);
}

std::vector<float> AttentionCase::materialized_mask() const {
  std::vector<float> m(static_cast<size_t>(shape.lq * shape.lk));
  for (int64_t i = 0; i < shape.lq; ++i)
    for (int64_t j = 0; j < shape.lk; ++j) m[static_cast<size_t>(i * shape.lk + j)] = static_cast<float>(bias(i, j));
  return m;
}

namespace {

// The stored bytes, the source and the dequantized tensor must tell one story.
template <class Fail>
void check_quantized_tensor(const AttentionCase& c, const std::optional<QuantizedKv>& q, const char* name, DType type,
                            const Tensor& values, int64_t dim, Fail& fail) {
  if (!q) return;
  const auto& s = c.shape;
  if (!is_kv_scheme(q->scheme)) {
    fail(fmt::format("{} is stored in unknown block scheme '{}' (known: {})", name, q->scheme,
                     fmt::join(kv_scheme_names(), ", ")));
    return;
  }
  if (type != DType::f32) fail(fmt::format("quantized {} must declare dtype f32 (its dequantized values)", name));
  if (q->batch != s.batch || q->heads != s.hkv || q->tokens != s.lk || q->dim != dim) {
    fail(fmt::format("quantized {} covers [{},{},{},{}] but the case needs [{},{},{},{}]", name, q->batch, q->heads,
                     q->tokens, q->dim, s.batch, s.hkv, s.lk, dim));
    return;
  }
  if (dim % 32 != 0) {
    fail(fmt::format("quantized {} needs a head dimension that is a multiple of 32 (got {})", name, dim));
    return;
  }
  if (q->row_bytes < 1 || static_cast<int64_t>(q->bytes.size()) != q->batch * q->tokens * q->row_bytes) {
    fail(fmt::format("quantized {} holds {} bytes; {} rows of {} bytes were declared", name, q->bytes.size(),
                     q->batch * q->tokens, q->row_bytes));
    return;
  }
  if (q->source.dtype != DType::f32 || q->source.shape != Dims{s.batch, s.hkv, s.lk, dim}) {
    fail(fmt::format("quantized {} needs its f32 source values of shape [{},{},{},{}]", name, s.batch, s.hkv, s.lk, dim));
    return;
  }
  try {
    if (!same_values(dequantize_kv(*q), values))
      fail(fmt::format("{} does not hold the dequantized values of its quantized bytes", name));
  } catch (const std::exception& e) {
    fail(fmt::format("quantized {} cannot be decoded: {}", name, e.what()));
  }
}

template <class Fail>
void check_quantized(const AttentionCase& c, Fail& fail) {
  check_quantized_tensor(c, c.k_quant, "K", c.k_type, c.k, c.shape.dk, fail);
  check_quantized_tensor(c, c.v_quant, "V", c.v_type, c.v, c.shape.dv, fail);
  if (c.v_quant && c.v_quant->hadamard)
    fail("V cannot be Hadamard-rotated (only K is; the rotation of Q cancels it in the scores)");
  const bool rotated = c.k_quant && c.k_quant->hadamard;
  if (rotated && !c.rotated_q) fail("Hadamard-rotated K needs the case's rotated_q");
  if (!rotated && c.rotated_q) fail("rotated_q is only meaningful with Hadamard-rotated K");
  if (rotated && c.rotated_q && (c.shape.dk % 32 != 0 || !same_values(*c.rotated_q, rotate_q_rows(c.q))))
    fail("rotated_q is not the block-32 Hadamard rotation of Q");
}

}  // namespace

std::string validate(const AttentionCase& c) {
  std::string errors;
  auto fail = [&](std::string msg) { errors += msg + "\n"; };
  const auto& s = c.shape;
  if (s.batch < 1 || s.hq < 1 || s.hkv < 1 || s.lq < 1 || s.lk < 1 || s.dk < 1 || s.dv < 1)
    fail(fmt::format("every dimension must be >= 1 (got {})", describe_shape(s)));
  else if (s.hq % s.hkv != 0)
    fail(fmt::format("Hq ({}) must be a multiple of Hkv ({}) for grouped-query attention", s.hq, s.hkv));
  if (!std::isfinite(c.scale)) fail("scale must be finite");
  if (!(c.softcap >= 0.0f) || !std::isfinite(c.softcap)) fail("softcap must be finite and >= 0");
  if (!(c.max_bias >= 0.0f) || !std::isfinite(c.max_bias)) fail("max_bias must be finite and >= 0");
  if (c.mask_kind == MaskKind::window && c.window < 1) fail("a sliding window needs window >= 1");
  if (c.mask_kind == MaskKind::explicit_only && !c.mask) fail("mask kind 'explicit' needs a mask tensor");
  if (c.o_type != DType::f32 && c.o_type != DType::f16 && c.o_type != DType::bf16) fail("unsupported O dtype");
  auto check_tensor = [&](const Tensor& t, const char* name, DType want, Dims dims) {
    if (t.dtype != want) fail(fmt::format("{} dtype is {} but the case declares {}", name, dtype_name(t.dtype), dtype_name(want)));
    if (t.shape != dims)
      fail(fmt::format("{} shape [{},{},{},{}] does not match [{},{},{},{}]", name, t.shape[0], t.shape[1], t.shape[2],
                       t.shape[3], dims[0], dims[1], dims[2], dims[3]));
    int64_t max_off = 0;
    for (int d = 0; d < 4; ++d) {
      if (t.strides[d] < 0) fail(fmt::format("{} has a negative stride", name));
      if (t.shape[d] > 0) max_off += (t.shape[d] - 1) * t.strides[d];
    }
    const int64_t need = (max_off + 1) * static_cast<int64_t>(traits(t.dtype).size);
    if (t.numel() > 0 && need > static_cast<int64_t>(t.storage.size()))
      fail(fmt::format("{} strides reach byte {} but storage holds {}", name, need, t.storage.size()));
  };
  if (errors.empty()) {
    check_tensor(c.q, "Q", c.q_type, {s.batch, s.hq, s.lq, s.dk});
    check_tensor(c.k, "K", c.k_type, {s.batch, s.hkv, s.lk, s.dk});
    check_tensor(c.v, "V", c.v_type, {s.batch, s.hkv, s.lk, s.dv});
    if (c.mask) {
      if (c.mask->dtype != DType::f32 && c.mask->dtype != DType::f16) fail("mask dtype must be f32 or f16");
      check_tensor(*c.mask, "mask", c.mask->dtype, {1, 1, s.lq, s.lk});
    }
    if (!c.sinks.empty() && static_cast<int64_t>(c.sinks.size()) != s.hq)
      fail(fmt::format("sinks must hold one value per query head ({} given, Hq = {})", c.sinks.size(), s.hq));
    for (float v : c.sinks)
      if (!std::isfinite(v)) fail("sink values must be finite");
    check_quantized(c, fail);
  }
  return errors;
}

AttentionCase without_quantization(const AttentionCase& c) {
  AttentionCase out = c;
  if (c.k_quant) out.k = c.k_quant->source;
  if (c.v_quant) out.v = c.v_quant->source;
  out.k_quant.reset();
  out.v_quant.reset();
  out.rotated_q.reset();
  return out;
}

std::string to_string(MaskKind k) {
  switch (k) {
    case MaskKind::none: return "none";
    case MaskKind::causal: return "causal";
    case MaskKind::window: return "window";
    case MaskKind::explicit_only: return "explicit";
  }
  return "?";
}

std::optional<MaskKind> parse_mask_kind(const std::string& s) {
  for (MaskKind k : {MaskKind::none, MaskKind::causal, MaskKind::window, MaskKind::explicit_only})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string describe_shape(const CaseShape& s) {
  return fmt::format("B={} Hq={} Hkv={} Lq={} Lk={} Dk={} Dv={}", s.batch, s.hq, s.hkv, s.lq, s.lk, s.dk, s.dv);
}

}  // namespace flashcheck
