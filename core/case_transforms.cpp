#include "core/case_transforms.hpp"

#include <stdexcept>

namespace flashcheck {

namespace {

// Copies element (b, from_head, j, d) of `from` into (b, to_head, j, d) of `to` bit for bit,
// so NaN payloads and signed zeros survive.
void copy_row(const Tensor& from, int64_t b, int64_t from_head, int64_t j, Tensor& to, int64_t to_head) {
  const auto size = static_cast<int64_t>(traits(from.dtype).size);
  for (int64_t d = 0; d < from.shape[3]; ++d)
    to.set_bits(b, to_head, j, d, from.data() + from.offset(b, from_head, j, d) * size);
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

}  // namespace flashcheck
