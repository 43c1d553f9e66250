#include "impls/cpu_splitkv/row_attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace flashcheck::splitkv {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

Scratch::Scratch(const CaseShape& s)
    : q(static_cast<size_t>(s.dk)), k(static_cast<size_t>(s.dk)), v(static_cast<size_t>(s.dv)),
      acc(static_cast<size_t>(s.dv)) {}

SoftmaxState empty_softmax_state() { return {kNegInf, 0.0f}; }

RowAttention::RowAttention(const AttentionCase& c, const KvRows& k, const KvRows& v)
    : c_(c),
      k_(k),
      v_(v),
      q_(c.q),
      decode_q_(row_decoder(c.q_type)),
      decode_k_(row_decoder(c.k_type)),
      decode_v_(row_decoder(c.v_type)),
      slopes_(static_cast<size_t>(c.shape.hq)) {
  for (int64_t h = 0; h < c.shape.hq; ++h) slopes_[static_cast<size_t>(h)] = c.slope(h);
}

QueryRow RowAttention::query_row(int64_t row) const {
  const auto& s = c_.shape;
  QueryRow r{};
  r.index = row % s.lq;
  r.head = (row / s.lq) % s.hq;
  r.batch = row / (s.lq * s.hq);
  r.kv_head = c_.kv_head(r.head);
  r.position = r.index + s.decode_offset();
  r.slope = slopes_[static_cast<size_t>(r.head)];
  return r;
}

void RowAttention::load_query(const QueryRow& r, Scratch& w) const {
  const RowRef q = q_.locate(r.batch, r.head, r.index);
  decode_q_(q.first, q.stride, c_.shape.dk, w.q.data());
}

KeyRange RowAttention::structural_keys(const QueryRow& r) const {
  const int64_t lk = c_.shape.lk;
  switch (c_.mask_kind) {
    case MaskKind::none:
    case MaskKind::explicit_only:
      return {0, lk};
    case MaskKind::causal:
      return {0, std::clamp<int64_t>(r.position + 1, 0, lk)};
    case MaskKind::window:
      return {std::max<int64_t>(0, r.position - c_.window + 1), std::clamp<int64_t>(r.position + 1, 0, lk)};
  }
  return {0, lk};
}

float RowAttention::bias(const QueryRow& r, int64_t j) const {
  float b = 0.0f;
  if (c_.mask) {
    const Tensor& m = *c_.mask;
    b = load_element(m.dtype, m.data() + m.offset(0, 0, r.index, j) * static_cast<int64_t>(traits(m.dtype).size));
  }
  if (c_.uses_alibi()) b -= static_cast<float>(std::llabs(r.position - j));
  return b;
}

void RowAttention::accumulate(const QueryRow& r, KeyRange keys, Scratch& w, SoftmaxState& state) const {
  const auto& s = c_.shape;
  const KeyRange visible = structural_keys(r);
  const int64_t begin = std::max(keys.begin, visible.begin);
  const int64_t end = std::min(keys.end, visible.end);
  const float scale = c_.scale;
  const float softcap = c_.softcap;
  for (int64_t j = begin; j < end; ++j) {
    // Hidden keys are never read: their storage may hold inf or NaN.
    const float b = bias(r, j);
    if (b == kNegInf) continue;
    const RowRef k = k_.locate(r.batch, r.kv_head, j);
    decode_k_(k.first, k.stride, s.dk, w.k.data());
    float score = 0.0f;
    for (int64_t d = 0; d < s.dk; ++d) score += w.q[d] * w.k[d];
    score *= scale;
    if (softcap > 0.0f) score = softcap * std::tanh(score / softcap);
    score += r.slope * b;
    if (score == kNegInf) continue;

    const RowRef v = v_.locate(r.batch, r.kv_head, j);
    decode_v_(v.first, v.stride, s.dv, w.v.data());
    const float m_new = std::max(state.m, score);
    const float alpha = std::exp(state.m - m_new);  // 1 when the maximum did not move
    const float p = std::exp(score - m_new);
    for (int64_t col = 0; col < s.dv; ++col) w.acc[col] = w.acc[col] * alpha + p * w.v[col];
    state.l = state.l * alpha + p;
    state.m = m_new;
  }
}

void RowAttention::fold_sink(const QueryRow& r, Scratch& w, SoftmaxState& state) const {
  if (!c_.has_sinks()) return;
  const float sink = c_.sinks[static_cast<size_t>(r.head)];
  const float m_new = std::max(state.m, sink);
  const float alpha = std::exp(state.m - m_new);
  for (float& a : w.acc) a *= alpha;
  state.l = state.l * alpha + std::exp(sink - m_new);
  state.m = m_new;
}

float finish_row(const SoftmaxState& state, const std::vector<float>& acc, float* o) {
  if (state.l == 0.0f) {  // no visible key and no sink: the default contract's empty row
    std::fill(o, o + acc.size(), 0.0f);
    return kNegInf;
  }
  for (size_t col = 0; col < acc.size(); ++col) o[col] = acc[col] / state.l;  // element-wise: o may alias acc
  return state.m + std::log(state.l);
}

}  // namespace flashcheck::splitkv
