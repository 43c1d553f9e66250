#pragma once
// The arithmetic of MLX's steel_attention Metal kernel (fused SDPA, "full" path) for
// T = float, one query row at a time: what one simdgroup computes for its rows.
#include <cstdint>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck::models::steel {

// The launch sdpa_full_self_attention_metal() sets up: tile sizes and function constants.
struct SteelLaunch {
  int64_t bq = 32;
  int64_t bk = 32;          // 32 for head dims below 128, else 16
  bool do_causal = false;   // the "causal" mask mode (query i sees keys j <= i + kL - qL)
  bool has_mask = false;    // an additive array mask [qL][kL], already in float
  bool has_sinks = false;
  bool output_logsumexp = true;
  bool lse_in_log2 = false; // the lse-log2 mutant: LSE left in the kernel's log2 domain
};

// Everything one (batch, kv head) group reads: K and V rows widened to float (as the
// block loaders convert to T), the float mask and the per-head sinks.
struct SteelInputs {
  int64_t ql = 0, kl = 0, d = 0;
  float scale = 1.0f;
  const float* k = nullptr;     // [kl][d]
  const float* v = nullptr;     // [kl][d]
  const float* mask = nullptr;  // [ql][kl] additive, natural-log units; null without one
};

// Per-row working registers, allocated once per worker.
struct SteelScratch {
  std::vector<float> q_scaled, scores, acc;
  SteelScratch(int64_t d, int64_t bk)
      : q_scaled(static_cast<size_t>(d)), scores(static_cast<size_t>(bk)), acc(static_cast<size_t>(d)) {}
};

// Query row i (in float), sink in natural-log units (ignored without sinks). Writes the
// row's output (before the store's conversion to T) and its logsumexp.
void attention_row(const SteelLaunch& launch, const SteelInputs& in, const float* q, float sink, int64_t i,
                   SteelScratch& scratch, float* o, float* lse);

// Limits<float>::finite_min: what the kernel writes into masked score lanes.
inline constexpr float kFiniteMin = -3.40282347e+38f;

}  // namespace flashcheck::models::steel
