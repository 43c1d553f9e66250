// One row of steel_attention (mlx/backend/metal/kernels/steel/attn/kernels/steel_attention.h)
// with T = AccumType = float. Every float operation below is one Metal float operation of
// the kernel, in its order; the simdgroup MMA's internal summation order is not public and
// is taken as sequential fp32 adds (no FMA).
#include "impls/models/metal_steel/steel_attention.hpp"

#include <algorithm>
#include <cmath>

namespace flashcheck::models::steel {
namespace {

constexpr float kLog2e = 1.44269504088896340736f;  // M_LOG2E_F
constexpr float kLn2 = 0.693147180559945309417f;   // M_LN2_F

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// metal::max on floats: like fmax, a NaN lane never becomes the maximum.
float metal_max(float a, float b) { return std::fmax(a, b); }

}  // namespace

void attention_row(const SteelLaunch& launch, const SteelInputs& in, const float* q, float sink, int64_t i,
                   SteelScratch& scratch, float* o, float* lse) {
  const int64_t d = in.d, kl = in.kl, bk = launch.bk;
  float* qs = scratch.q_scaled.data();
  float* s = scratch.scores.data();
  float* acc = scratch.acc.data();

  // TransformScale: Q is pre-scaled by scale * log2(e) once, so scores live in log2 units.
  const float scale_log2 = in.scale * kLog2e;
  for (int64_t x = 0; x < d; ++x) qs[x] = scale_log2 * q[x];

  float max_score = kFiniteMin;
  float sum_score = 0.0f;
  if (launch.has_sinks) {
    max_score = kLog2e * sink;
    sum_score = 1.0f;
  }

  const int64_t nk = ceil_div(kl, bk);
  const int64_t nk_aligned = kl / bk;
  const bool align_k = kl % bk == 0;
  const int64_t kl_rem = kl - nk_aligned * bk;
  const int64_t ql_off = kl - in.ql;
  const int64_t row_pos = i + ql_off;

  // Under causal masking the threadgroup stops at the last key block its last row needs.
  int64_t kb_lim = nk;
  if (launch.do_causal) kb_lim = std::min(nk, ceil_div((i / launch.bq + 1) * launch.bq + ql_off, bk));
  const int64_t causal_from = kb_lim - ceil_div(launch.bq, bk) - (align_k ? 0 : 1);

  for (int64_t x = 0; x < d; ++x) acc[x] = 0.0f;

  for (int64_t kb = 0; kb < kb_lim; ++kb) {
    const bool tail_block = !align_k && kb == nk_aligned;
    for (int64_t t = 0; t < bk; ++t) {
      const int64_t col = kb * bk + t;
      float score = 0.0f;  // load_safe zero-fills K rows past kL: their dot product is 0
      if (col < kl) {
        const float* k_row = in.k + col * d;
        for (int64_t x = 0; x < d; ++x) score += qs[x] * k_row[x];
      }
      if (tail_block && t >= kl_rem) score = kFiniteMin;
      if (launch.do_causal && kb >= causal_from && row_pos < col) score = kFiniteMin;
      if (launch.has_mask) {
        const float m = col < kl ? in.mask[i * kl + col] : 0.0f;  // the mask's load_safe fills 0
        score += kLog2e * m;
      }
      s[t] = score;
    }

    float new_max = max_score;
    for (int64_t t = 0; t < bk; ++t) new_max = metal_max(new_max, s[t]);
    for (int64_t t = 0; t < bk; ++t) s[t] = std::exp2(s[t] - new_max);  // fast::exp2
    const float factor = std::exp2(max_score - new_max);
    max_score = new_max;

    float sum_tmp = 0.0f;
    for (int64_t t = 0; t < bk; ++t) sum_tmp += s[t];
    sum_score = sum_score * factor + sum_tmp;

    for (int64_t x = 0; x < d; ++x) acc[x] *= factor;
    for (int64_t t = 0; t < bk; ++t) {
      const int64_t col = kb * bk + t;
      if (col < kl) {
        const float* v_row = in.v + col * d;
        for (int64_t x = 0; x < d; ++x) acc[x] += s[t] * v_row[x];
      } else {
        for (int64_t x = 0; x < d; ++x) acc[x] += s[t] * 0.0f;  // zero-filled V rows still enter the MMA
      }
    }
  }

  for (int64_t x = 0; x < d; ++x) o[x] = acc[x] / sum_score;
  if (launch.output_logsumexp)
    *lse = launch.lse_in_log2 ? max_score + std::log2(sum_score) : max_score * kLn2 + std::log(sum_score);
}

}  // namespace flashcheck::models::steel
