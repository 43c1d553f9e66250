// Case variants for probes. Tensors are copied bit for bit (NaN payloads and signed
// zeros kept) except where a variant means to change values.
#include "verdict/probe_cases.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>

#include "core/quantized_kv.hpp"
#include "oracle/blocks/block_scheme.hpp"

namespace flashcheck {
namespace {

// The leading n2 x n3 corner of dims 2 and 3, contiguous, every element's bits copied.
Tensor leading_corner(const Tensor& t, int64_t n2, int64_t n3) {
  Tensor out = Tensor::make(t.dtype, {t.shape[0], t.shape[1], n2, n3});
  const auto size = static_cast<int64_t>(traits(t.dtype).size);
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t i = 0; i < n2; ++i)
        for (int64_t j = 0; j < n3; ++j) out.set_bits(a, b, i, j, t.data() + t.offset(a, b, i, j) * size);
  return out;
}

Tensor leading_rows(const Tensor& t, int64_t n) { return leading_corner(t, n, t.shape[3]); }

void fill_plain(Tensor& t, const std::vector<int64_t>& keys, const KvValueFn& value) {
  for (int64_t b = 0; b < t.shape[0]; ++b)
    for (int64_t h = 0; h < t.shape[1]; ++h)
      for (int64_t j : keys)
        for (int64_t d = 0; d < t.shape[3]; ++d) t.set(b, h, j, d, value(b, h, j, d));
}

// Quantizes the new source values of `keys` and splices only those rows into the bytes.
void fill_quantized(QuantizedKv& q, Tensor& values, const std::vector<int64_t>& keys, const KvValueFn& value) {
  Tensor source = q.source;
  for (int64_t b = 0; b < q.batch; ++b)
    for (int64_t h = 0; h < q.heads; ++h)
      for (int64_t j : keys)
        for (int64_t d = 0; d < q.dim; ++d) {
          const double v = value(b, h, j, d);
          if (!std::isfinite(v))
            throw std::invalid_argument(fmt::format("quantized K/V take finite values only (got {} at key {})", v, j));
          source.set(b, h, j, d, v);
        }
  const QuantizedKv fresh = quantize_kv(source, {q.scheme, q.layout, q.hadamard}, nullptr);
  for (int64_t b = 0; b < q.batch; ++b)
    for (int64_t j : keys)
      std::copy_n(fresh.row(b, j), q.row_bytes, q.bytes.begin() + (b * q.tokens + j) * q.row_bytes);
  q.source = std::move(source);
  values = dequantize_kv(q);
}

void check_keys(const AttentionCase& c, const std::vector<int64_t>& keys) {
  for (int64_t j : keys)
    if (j < 0 || j >= c.shape.lk)
      throw std::invalid_argument(fmt::format("key {} is outside the case's {} keys", j, c.shape.lk));
}

// One row of n_blocks whole blocks rearranged between layouts.
void swap_row_layout(const blocks::BlockScheme& s, int64_t n_blocks, KvRowLayout from, const uint8_t* in,
                     uint8_t* out) {
  const int64_t sb = s.scale_bytes(), eb = s.element_bytes();
  for (int64_t n = 0; n < n_blocks; ++n) {
    const int64_t aos_scale = n * (sb + eb), aos_elements = aos_scale + sb;
    const int64_t soa_scale = n_blocks * eb + n * sb, soa_elements = n * eb;
    const bool to_soa = from == KvRowLayout::aos;
    std::memcpy(out + (to_soa ? soa_scale : aos_scale), in + (to_soa ? aos_scale : soa_scale), static_cast<size_t>(sb));
    std::memcpy(out + (to_soa ? soa_elements : aos_elements), in + (to_soa ? aos_elements : soa_elements),
                static_cast<size_t>(eb));
  }
}

std::optional<QuantizedKv> swapped(const QuantizedKv& q, std::string* why) {
  const blocks::BlockScheme& s = blocks::block_scheme(q.scheme);
  const int64_t n_blocks = q.heads * q.dim / blocks::kBlockSize;
  if (q.row_bytes != n_blocks * s.block_bytes()) {
    if (why) *why = fmt::format("{} rows of {} bytes are not {} whole blocks", q.scheme, q.row_bytes, n_blocks);
    return std::nullopt;
  }
  QuantizedKv out = q;
  out.layout = q.layout == KvRowLayout::aos ? KvRowLayout::soa : KvRowLayout::aos;
  for (int64_t r = 0; r < q.batch * q.tokens; ++r)
    swap_row_layout(s, n_blocks, q.layout, q.bytes.data() + r * q.row_bytes, out.bytes.data() + r * q.row_bytes);
  return out;
}

QuantizedKv leading_tokens(const QuantizedKv& q, int64_t tokens) {
  QuantizedKv out = q;
  out.tokens = tokens;
  out.bytes.clear();
  for (int64_t b = 0; b < q.batch; ++b)
    out.bytes.insert(out.bytes.end(), q.row(b, 0), q.row(b, 0) + tokens * q.row_bytes);
  out.source = leading_rows(q.source, tokens);
  return out;
}

}  // namespace

KeyVisibility::KeyVisibility(const AttentionCase& c) : lq_(c.shape.lq), lk_(c.shape.lk) {
  hidden_.assign(static_cast<size_t>(lq_ * lk_), 0);
  hidden_count_.assign(static_cast<size_t>(lq_), 0);
  for (int64_t i = 0; i < lq_; ++i)
    for (int64_t j = 0; j < lk_; ++j) {
      const double b = c.bias(i, j);
      const bool is_hidden = std::isinf(b) && b < 0;
      hidden_[static_cast<size_t>(i * lk_ + j)] = is_hidden ? 1 : 0;
      hidden_count_[static_cast<size_t>(i)] += is_hidden ? 1 : 0;
    }
}

bool KeyVisibility::any_hidden() const { return std::find(hidden_.begin(), hidden_.end(), 1) != hidden_.end(); }

std::vector<int64_t> KeyVisibility::hidden_from_every_row() const {
  std::vector<int64_t> keys;
  bool some_row = false;
  for (int64_t i = 0; i < lq_ && !some_row; ++i) some_row = row_sees_a_key(i);
  if (!some_row) return keys;
  for (int64_t j = 0; j < lk_; ++j) {
    bool hidden_everywhere = true;
    for (int64_t i = 0; i < lq_ && hidden_everywhere; ++i)
      if (row_sees_a_key(i) && !hidden(i, j)) hidden_everywhere = false;
    if (hidden_everywhere) keys.push_back(j);
  }
  return keys;
}

std::vector<int64_t> KeyVisibility::hidden_from_row(int64_t i) const {
  std::vector<int64_t> keys;
  for (int64_t j = 0; j < lk_; ++j)
    if (hidden(i, j)) keys.push_back(j);
  return keys;
}

std::vector<int64_t> KeyVisibility::boundary_keys() const {
  std::vector<int64_t> keys;
  for (int64_t j = 0; j < lk_; ++j) {
    bool seen = false, hid = false;
    for (int64_t i = 0; i < lq_; ++i) {
      if (!row_sees_a_key(i)) continue;
      (hidden(i, j) ? hid : seen) = true;
    }
    if (seen && hid) keys.push_back(j);
  }
  return keys;
}

int64_t KeyVisibility::most_hiding_row() const {
  int64_t best = -1, most = 0;
  for (int64_t i = 0; i < lq_; ++i)
    if (row_sees_a_key(i) && hidden_count(i) > most) {
      most = hidden_count(i);
      best = i;
    }
  return best;
}

std::vector<int64_t> KeyVisibility::rows_hiding_all(const std::vector<int64_t>& keys) const {
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < lq_; ++i) {
    if (!row_sees_a_key(i)) continue;
    if (std::all_of(keys.begin(), keys.end(), [&](int64_t j) { return hidden(i, j); })) rows.push_back(i);
  }
  return rows;
}

AttentionCase with_kv_at_keys(const AttentionCase& c, const std::vector<int64_t>& keys, const KvValueFn& k_value,
                              const KvValueFn& v_value) {
  check_keys(c, keys);
  AttentionCase out = c;
  if (k_value) {
    if (out.k_quant)
      fill_quantized(*out.k_quant, out.k, keys, k_value);
    else
      fill_plain(out.k, keys, k_value);
  }
  if (v_value) {
    if (out.v_quant)
      fill_quantized(*out.v_quant, out.v, keys, v_value);
    else
      fill_plain(out.v, keys, v_value);
  }
  return out;
}

AttentionCase with_explicit_mask(const AttentionCase& c, float hidden, bool keep_structural) {
  const auto& s = c.shape;
  Tensor mask = Tensor::make(DType::f32, {1, 1, s.lq, s.lk});
  for (int64_t i = 0; i < s.lq; ++i)
    for (int64_t j = 0; j < s.lk; ++j) {
      const double given = c.mask ? c.mask->get(0, 0, i, j) : 0.0;
      const bool is_hidden = !c.structurally_visible(i, j) || (std::isinf(given) && given < 0);
      mask.set(0, 0, i, j, is_hidden ? static_cast<double>(hidden) : given);
    }
  AttentionCase out = c;
  if (!keep_structural) {
    out.mask_kind = MaskKind::explicit_only;
    out.window = 0;
  } else if (out.mask_kind == MaskKind::none) {
    out.mask_kind = MaskKind::explicit_only;
  }
  out.mask = std::move(mask);
  return out;
}

AttentionCase with_zero_q(const AttentionCase& c) {
  AttentionCase out = c;
  for (int64_t b = 0; b < c.q.shape[0]; ++b)
    for (int64_t h = 0; h < c.q.shape[1]; ++h)
      for (int64_t i = 0; i < c.q.shape[2]; ++i)
        for (int64_t d = 0; d < c.q.shape[3]; ++d) out.q.set(b, h, i, d, 0.0);
  if (out.rotated_q) out.rotated_q = rotate_q_rows(out.q);
  return out;
}

AttentionCase with_no_mask(const AttentionCase& c) {
  AttentionCase out = c;
  out.mask_kind = MaskKind::none;
  out.window = 0;
  out.mask.reset();
  return out;
}

AttentionCase with_v_scaled_down(const AttentionCase& c, int shift) {
  if (c.v_quant) throw std::invalid_argument("V is block-quantized: its scale lives in the block scales");
  AttentionCase out = c;
  for (int64_t b = 0; b < c.v.shape[0]; ++b)
    for (int64_t h = 0; h < c.v.shape[1]; ++h)
      for (int64_t j = 0; j < c.v.shape[2]; ++j)
        for (int64_t d = 0; d < c.v.shape[3]; ++d) out.v.set(b, h, j, d, std::ldexp(c.v.get(b, h, j, d), -shift));
  return out;
}

AttentionCase with_plain_kv(const AttentionCase& c) {
  AttentionCase out = c;
  out.k_quant.reset();
  out.v_quant.reset();
  if (c.rotated_q) {
    out.q = *c.rotated_q;
    out.q_type = DType::f32;
    out.rotated_q.reset();
  }
  return out;
}

std::optional<AttentionCase> with_swapped_kv_layout(const AttentionCase& c, std::string* why) {
  if (!c.has_quantized_kv()) {
    if (why) *why = "K and V are not block-quantized";
    return std::nullopt;
  }
  AttentionCase out = c;
  for (auto [q, values] : {std::pair{&out.k_quant, &c.k}, std::pair{&out.v_quant, &c.v}}) {
    if (!q->has_value()) continue;
    std::optional<QuantizedKv> other = swapped(**q, why);
    if (!other) return std::nullopt;
    if (!same_values(dequantize_kv(*other), *values)) {
      if (why) *why = "the rearranged rows do not decode to the same values";
      return std::nullopt;
    }
    *q = std::move(*other);
  }
  return out;
}

AttentionCase with_key_prefix(const AttentionCase& c, int64_t lk) {
  const auto& s = c.shape;
  if (lk < 1 || lk > s.lk) throw std::invalid_argument(fmt::format("cannot keep {} of {} keys", lk, s.lk));
  const bool structural = c.mask_kind == MaskKind::causal || c.mask_kind == MaskKind::window;
  const int64_t lq = structural ? std::min(s.lq, lk) : s.lq;
  AttentionCase out = c;
  out.shape.lk = lk;
  out.shape.lq = lq;
  out.q = leading_rows(c.q, lq);
  if (c.rotated_q) out.rotated_q = leading_rows(*c.rotated_q, lq);
  out.k = leading_rows(c.k, lk);
  out.v = leading_rows(c.v, lk);
  if (c.mask) out.mask = leading_corner(*c.mask, lq, lk);
  if (c.k_quant) out.k_quant = leading_tokens(*c.k_quant, lk);
  if (c.v_quant) out.v_quant = leading_tokens(*c.v_quant, lk);
  return out;
}

}  // namespace flashcheck
