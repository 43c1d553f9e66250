#pragma once
// The merge kernel of flash-decoding (cuda-splitkv). Each chunk i of the keys left its
// (max m_i, sum l_i, unnormalised accumulator acc_i); with M the common maximum,
//   O = sum_i e^(m_i - M) acc_i / sum_i e^(m_i - M) l_i,   LSE = M + log(sum_i e^(m_i - M) l_i).
// Chunks that saw no visible key (l_i = 0, m_i the sentinel) are left out, so a row
// whose chunks are all empty gives O = 0, LSE = -inf (or the sink alone, when there is one).
#include "impls/cuda/device_math.cuh"

namespace flashcheck::cuda {

constexpr int kMergeWarps = 4;
constexpr int kMergeThreads = kMergeWarps * kWarpSize;

// Weight of chunk i relative to the common maximum; the seeded bug merge-no-rescale
// forgets it and adds partials that are relative to different maxima.
template <bool kRescale>
__device__ __forceinline__ float chunk_scale(float chunk_max, float common_max) {
  if constexpr (kRescale) return expf(chunk_max - common_max);
  return 1.0f;
}

// One warp per query row: lanes reduce over the chunks, then own the Dv columns.
template <bool kRescale>
__global__ void __launch_bounds__(kMergeThreads) merge_splits_kernel(const FlashParams p) {
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const long long row = static_cast<long long>(blockIdx.x) * kMergeWarps + threadIdx.x / kWarpSize;
  const long long rows = static_cast<long long>(p.batch) * p.hq * p.lq;
  if (row >= rows) return;  // the whole warp leaves together
  const int i = static_cast<int>(row % p.lq);
  const int h = static_cast<int>(row / p.lq % p.hq);
  const int b = static_cast<int>(row / (static_cast<long long>(p.lq) * p.hq));
  const int splits = p.num_splits;
  const float* chunk_max = p.partial_max + row * splits;
  const float* chunk_sum = p.partial_sum + row * splits;
  const float* chunk_acc = p.partial_acc + row * splits * p.dv;

  float m = -FLT_MAX;  // the same finite sentinel as the partial pass
  for (int s = lane; s < splits; s += kWarpSize)
    if (chunk_sum[s] > 0.0f) m = fmaxf(m, chunk_max[s]);
  m = warp_max(m);
  if (p.sinks) m = fmaxf(m, p.sinks[h]);

  float l = 0.0f;
  for (int s = lane; s < splits; s += kWarpSize)
    if (chunk_sum[s] > 0.0f) l += chunk_scale<kRescale>(chunk_max[s], m) * chunk_sum[s];
  l = warp_sum_f32(l);
  if (p.sinks) l += expf(p.sinks[h] - m);  // the sink joins the denominator only

  const long long o_row = b * p.o_stride[0] + h * p.o_stride[1] + i * p.o_stride[2];
  for (int col = lane; col < p.dv; col += kWarpSize) {
    float numerator = 0.0f;
    for (int s = 0; s < splits; ++s)
      if (chunk_sum[s] > 0.0f) numerator += chunk_scale<kRescale>(chunk_max[s], m) * chunk_acc[s * p.dv + col];
    store_element(p.o, p.o_type, o_row + col * p.o_stride[3], l == 0.0f ? 0.0f : numerator / l);
  }
  if (lane == 0) p.lse[row] = l == 0.0f ? -INFINITY : m + logf(l);
}

}  // namespace flashcheck::cuda
