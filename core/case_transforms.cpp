#include "core/case_transforms.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>
#include <string>

namespace flashcheck {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

const std::byte* element_bits(const Tensor& t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  return t.data() + t.offset(i0, i1, i2, i3) * static_cast<int64_t>(traits(t.dtype).size);
}

// Copies element (b, from_head, j, d) of `from` into (b, to_head, j, d) of `to` bit for bit,
// so NaN payloads and signed zeros survive.
void copy_row(const Tensor& from, int64_t b, int64_t from_head, int64_t j, Tensor& to, int64_t to_head) {
  for (int64_t d = 0; d < from.shape[3]; ++d) to.set_bits(b, to_head, j, d, element_bits(from, b, from_head, j, d));
}

// The tensor with index `axis` reordered (element k of the result is element order[k]),
// bit for bit, in the same strides.
Tensor permuted_along(const Tensor& t, int axis, const std::vector<int64_t>& order) {
  Tensor out = t;
  Dims i{};
  for (i[0] = 0; i[0] < t.shape[0]; ++i[0])
    for (i[1] = 0; i[1] < t.shape[1]; ++i[1])
      for (i[2] = 0; i[2] < t.shape[2]; ++i[2])
        for (i[3] = 0; i[3] < t.shape[3]; ++i[3]) {
          Dims from = i;
          from[static_cast<size_t>(axis)] = order[static_cast<size_t>(i[static_cast<size_t>(axis)])];
          out.set_bits(i[0], i[1], i[2], i[3], element_bits(t, from[0], from[1], from[2], from[3]));
        }
  return out;
}

void permute_quantized_tokens(QuantizedKv& q, const std::vector<int64_t>& order) {
  const std::vector<uint8_t> original = q.bytes;
  const auto row_bytes = static_cast<size_t>(q.row_bytes);
  for (int64_t b = 0; b < q.batch; ++b)
    for (int64_t j = 0; j < q.tokens; ++j) {
      const auto to = static_cast<size_t>(b * q.tokens + j) * row_bytes;
      const auto from = static_cast<size_t>(b * q.tokens + order[static_cast<size_t>(j)]) * row_bytes;
      std::copy_n(original.begin() + static_cast<std::ptrdiff_t>(from), row_bytes,
                  q.bytes.begin() + static_cast<std::ptrdiff_t>(to));
    }
  q.source = permuted_along(q.source, 2, order);
}

void require_permutation(const std::vector<int64_t>& order, int64_t n) {
  if (static_cast<int64_t>(order.size()) != n)
    throw std::invalid_argument(fmt::format("with_permuted_kv: order holds {} positions, Lk is {}", order.size(), n));
  std::vector<bool> seen(static_cast<size_t>(n), false);
  for (int64_t p : order) {
    if (p < 0 || p >= n || seen[static_cast<size_t>(p)])
      throw std::invalid_argument(fmt::format("with_permuted_kv: order is not a permutation of 0..{}", n - 1));
    seen[static_cast<size_t>(p)] = true;
  }
}

// x as an f32 when that is exact, else throws naming `what`.
float exact_f32(double x, const std::string& what) {
  const auto f = static_cast<float>(x);
  if (static_cast<double>(f) != x && !std::isnan(x))
    throw std::invalid_argument(fmt::format("{} = {} ({:a}) is not exactly representable in f32", what, x, x));
  return f;
}

}  // namespace

AttentionCase with_replicated_kv_heads(const AttentionCase& grouped) {
  if (grouped.has_quantized_kv())
    throw std::invalid_argument("with_replicated_kv_heads: quantized K/V cannot be replicated head by head");
  AttentionCase out = grouped;
  const CaseShape& s = grouped.shape;
  out.shape.hkv = s.hq;
  out.k = Tensor::make(grouped.k.dtype, {s.batch, s.hq, s.lk, s.dk});
  out.v = Tensor::make(grouped.v.dtype, {s.batch, s.hq, s.lk, s.dv});
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.hq; ++h)
      for (int64_t j = 0; j < s.lk; ++j) {
        copy_row(grouped.k, b, grouped.kv_head(h), j, out.k, h);
        copy_row(grouped.v, b, grouped.kv_head(h), j, out.v, h);
      }
  return out;
}

AttentionCase with_structural_mask_as_explicit(const AttentionCase& c) {
  if (c.mask_kind == MaskKind::none || c.mask_kind == MaskKind::explicit_only) return c;
  AttentionCase out = c;
  const CaseShape& s = c.shape;
  Tensor mask = Tensor::make(c.mask ? c.mask->dtype : DType::f32, {1, 1, s.lq, s.lk});
  for (int64_t i = 0; i < s.lq; ++i)
    for (int64_t j = 0; j < s.lk; ++j) {
      if (!c.structurally_visible(i, j))
        mask.set(0, 0, i, j, kNegInf);
      else if (c.mask)
        mask.set_bits(0, 0, i, j, element_bits(*c.mask, 0, 0, i, j));
    }
  out.mask = std::move(mask);
  out.mask_kind = MaskKind::explicit_only;
  out.window = 0;
  return out;
}

AttentionCase with_permuted_kv(const AttentionCase& c, const std::vector<int64_t>& order) {
  if (c.mask_kind == MaskKind::causal || c.mask_kind == MaskKind::window)
    throw std::invalid_argument(fmt::format("with_permuted_kv: the {} mask depends on key positions; convert it with "
                                            "with_structural_mask_as_explicit first",
                                            to_string(c.mask_kind)));
  if (c.uses_alibi())
    throw std::invalid_argument("with_permuted_kv: ALiBi's bias depends on key positions and cannot move with the keys");
  require_permutation(order, c.shape.lk);
  AttentionCase out = c;
  out.k = permuted_along(c.k, 2, order);
  out.v = permuted_along(c.v, 2, order);
  if (c.mask) out.mask = permuted_along(*c.mask, 3, order);
  if (out.k_quant) permute_quantized_tokens(*out.k_quant, order);
  if (out.v_quant) permute_quantized_tokens(*out.v_quant, order);
  return out;
}

AttentionCase with_row_score_shift(const AttentionCase& c, const std::vector<float>& shift) {
  const CaseShape& s = c.shape;
  if (static_cast<int64_t>(shift.size()) != s.lq)
    throw std::invalid_argument(fmt::format("with_row_score_shift: {} shifts for Lq = {} rows", shift.size(), s.lq));
  for (float x : shift)
    if (!std::isfinite(x)) throw std::invalid_argument("with_row_score_shift: shifts must be finite");
  AttentionCase out = c;
  if (c.has_sinks()) {
    for (float x : shift)
      if (x != shift.front())
        throw std::invalid_argument("with_row_score_shift: sinks are per head, so every row needs the same shift");
    if (c.uses_alibi())
      throw std::invalid_argument("with_row_score_shift: under ALiBi the slope scales the shift but not the sink");
    for (size_t h = 0; h < c.sinks.size(); ++h)
      out.sinks[h] = exact_f32(static_cast<double>(c.sinks[h]) + static_cast<double>(shift.front()),
                               fmt::format("sink {} shifted", h));
  }
  Tensor mask = Tensor::make(DType::f32, {1, 1, s.lq, s.lk});
  for (int64_t i = 0; i < s.lq; ++i)
    for (int64_t j = 0; j < s.lk; ++j) {
      const double base = c.mask ? c.mask->get(0, 0, i, j) : 0.0;
      mask.set(0, 0, i, j,
               exact_f32(base + static_cast<double>(shift[static_cast<size_t>(i)]),
                         fmt::format("mask[{}][{}] shifted", i, j)));
    }
  out.mask = std::move(mask);
  if (out.mask_kind == MaskKind::none) out.mask_kind = MaskKind::explicit_only;
  return out;
}

AttentionCase with_v_scaled_by_power_of_two(const AttentionCase& c, int exponent) {
  if (c.v_quant) throw std::invalid_argument("with_v_scaled_by_power_of_two: quantized V is not scaled");
  AttentionCase out = c;
  const Tensor& v = c.v;
  for (int64_t b = 0; b < v.shape[0]; ++b)
    for (int64_t g = 0; g < v.shape[1]; ++g)
      for (int64_t j = 0; j < v.shape[2]; ++j)
        for (int64_t d = 0; d < v.shape[3]; ++d) {
          const double x = v.get(b, g, j, d);
          if (!std::isfinite(x)) continue;  // inf and NaN scale to themselves; the copy kept their bits
          const double y = std::ldexp(x, exponent);
          if (round_to(v.dtype, y) != y)
            throw std::invalid_argument(fmt::format("with_v_scaled_by_power_of_two: V[{},{},{},{}] = {:a} times 2^{} is "
                                                    "not exact in {}",
                                                    b, g, j, d, x, exponent, dtype_name(v.dtype)));
          out.v.set(b, g, j, d, y);
        }
  return out;
}

AttentionCase with_prerotated_q(const AttentionCase& c) {
  if (!c.k_quant || !c.k_quant->hadamard || !c.rotated_q)
    throw std::invalid_argument("with_prerotated_q: the case has no Hadamard-rotated K");
  AttentionCase out = c;
  out.q = *c.rotated_q;
  out.q_type = DType::f32;
  out.rotated_q.reset();
  out.k_quant->hadamard = false;
  out.k_quant->source = rotate_q_rows(c.k_quant->source);
  return out;
}

}  // namespace flashcheck
