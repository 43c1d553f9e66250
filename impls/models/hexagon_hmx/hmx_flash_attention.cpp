// One row of the HMX flash-attention loop (ggml/src/ggml-hexagon/htp/hmx-flash-attn-ops.c),
// in the formats the brief of this model fixes: HMX matmuls take fp16 operands and
// accumulate in fp32 (fp16 x fp16 products are exact in fp32), P is rounded to fp16 to
// feed the P x V matmul, and p_rowsum sums those rounded P values. The kernel's qf16
// intermediates, its fp16 S / O tiles and its exp implementation are not modelled.
#include "impls/models/hexagon_hmx/hmx_flash_attention.hpp"

#include <algorithm>
#include <cmath>

#include "impls/models/common/half_bits.hpp"

namespace flashcheck::models::hmx {
namespace {

// Where a statistic is stored: fp32 registers, or fp16 VTCM vectors re-quantized every block.
float store_stat(float x, StatsFormat f) { return f == StatsFormat::fp16 ? round_to_f16(x) : x; }

// One HMX dot product: 32-wide tiles of the head dim, each accumulated, then summed.
float hmx_dot(const float* q, const float* k, int64_t d) {
  float dot = 0.0f;
  for (int64_t t0 = 0; t0 < d; t0 += kTileDim) {
    float part = 0.0f;
    for (int64_t x = t0; x < std::min(d, t0 + kTileDim); ++x) part += q[x] * k[x];
    dot += part;
  }
  return dot;
}

}  // namespace

void attention_row(const HmxInputs& in, StatsFormat stats, const float* q16, int64_t i, HmxScratch& w, float* o) {
  float* s = w.s.data();
  float* p = w.p.data();
  float* acc = w.acc.data();
  std::fill(w.acc.begin(), w.acc.end(), 0.0f);
  float m = kNegSentinel;
  float l = 0.0f;

  for (int64_t jc = 0; jc < in.kl; jc += kBlockKeys) {
    const int64_t n = std::min(kBlockKeys, in.kl - jc);

    // S = Q K^T (HMX output scale applied), then the mask: add it, or hide the key.
    float s_rowmax = kNegSentinel;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t col = jc + j;
      const float score = hmx_dot(q16, in.k + col * in.dk, in.dk) * in.scale;
      const float bias = in.mask[i * in.kl + col];
      s[j] = bias > kMaskThreshold ? score + bias : kNegSentinel;
      s_rowmax = std::max(s_rowmax, s[j]);
    }

    const float m_new = store_stat(std::max(m, s_rowmax), stats);
    float p_rowsum = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      p[j] = round_to_f16(std::exp(s[j] - m_new));  // the P tile is an fp16 HMX operand
      p_rowsum += p[j];
    }
    p_rowsum = store_stat(p_rowsum, stats);

    const float alpha = std::exp(m - m_new);
    l = store_stat(l * alpha + p_rowsum, stats);
    m = m_new;

    // O = diag(alpha) O + P V: every key of the block enters the matmul, masked ones with P = 0.
    for (int64_t x = 0; x < in.dv; ++x) acc[x] *= alpha;
    for (int64_t j = 0; j < n; ++j) {
      const float* v_row = in.v + (jc + j) * in.dv;
      for (int64_t x = 0; x < in.dv; ++x) acc[x] += p[j] * v_row[x];
    }
  }

  for (int64_t x = 0; x < in.dv; ++x) o[x] = acc[x] / l;
}

}  // namespace flashcheck::models::hmx
