#pragma once
// The arithmetic of ggml-hexagon's HMX flash-attention prefill kernel (seed 000), one
// query row at a time: fp16 HMX operands with fp32 accumulation, an online softmax over
// KV blocks whose statistics (m, l, p_rowsum) are kept in fp32 (the seed's fix) or fp16
// (the kernel before it).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flashcheck::models::hmx {

inline constexpr int64_t kTileDim = 32;            // HMX fp16 tiles are 32 x 32
inline constexpr int64_t kBlockKeys = 64;          // Bc: the kernel's 64-key unit (it sizes Bc from VTCM)
inline constexpr float kNegSentinel = -65504.0f;   // 0xfbff: the kernel's "-inf" for masked scores and m
inline constexpr float kMaskThreshold = -16.0f;    // mask values at or below it hide the key

enum class StatsFormat { fp32, fp16 };

struct HmxInputs {
  int64_t kl = 0, dk = 0, dv = 0;
  float scale = 1.0f;
  const float* k = nullptr;     // [kl][dk], fp16 values
  const float* v = nullptr;     // [kl][dv], fp16 values
  const float* mask = nullptr;  // [ql][kl], the f16 mask ggml hands the op
};

struct HmxScratch {
  std::vector<float> s, p, acc;
  explicit HmxScratch(int64_t dv)
      : s(static_cast<size_t>(kBlockKeys)), p(static_cast<size_t>(kBlockKeys)), acc(static_cast<size_t>(dv)) {}
};

// Query row i with fp16 values q16; writes the normalised output row in fp32.
void attention_row(const HmxInputs& in, StatsFormat stats, const float* q16, int64_t i, HmxScratch& scratch, float* o);

}  // namespace flashcheck::models::hmx
