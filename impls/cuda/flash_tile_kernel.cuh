#pragma once
// The flash-attention tile kernel behind cuda-fp32, cuda-fp16acc and the partial pass
// of cuda-splitkv, written the way SIMT flash kernels are:
//   - one thread block per (query tile of kQueryTile rows, head, batch [x split]);
//   - Q staged once, then K/V tiles of kKeyTile keys staged in shared memory;
//   - each warp owns kRowsPerWarp query rows; lane j scores key j of the tile;
//   - the tile's row maximum and row sum are warp-shuffle reductions;
//   - online softmax: running max m (a finite sentinel, never -inf, so no inf - inf
//     arises for rows whose keys are all hidden), row sum l, and the PV accumulator,
//     whose Dv columns are spread over the lanes (lane + 32 c).
// Hidden keys get the score -inf before any arithmetic that could reach the output, and
// their V rows are skipped (their weight is exactly 0), so inf/NaN stored at masked keys
// never leak.
#include "impls/cuda/device_math.cuh"

namespace flashcheck::cuda {

constexpr int kQueryTile = 16;
constexpr int kTileWarps = 4;
constexpr int kTileThreads = kTileWarps * kWarpSize;
constexpr int kRowsPerWarp = kQueryTile / kTileWarps;
constexpr int kColsPerLane = kMaxHeadDim / kWarpSize;

// Q tile [kQueryTile][dk], K tile [kKeyTile][dk + 1] (the pad puts the 32 keys that the
// lanes read at once into 32 different banks), V tile [kKeyTile][dv].
inline size_t tile_smem_bytes(int dk, int dv) {
  return sizeof(float) * (static_cast<size_t>(kQueryTile) * dk + static_cast<size_t>(kKeyTile) * (dk + 1) +
                          static_cast<size_t>(kKeyTile) * dv);
}

struct KeyRange {
  int begin, end;
};

// Keys the block visits: its split's chunk, cut to the keys the structural mask can show
// to any of its rows (tiles entirely above the causal diagonal or before the window are
// never loaded). begin stays a multiple of kKeyTile.
__device__ __forceinline__ KeyRange block_key_range(const FlashParams& p, int row0, int split) {
  const long long offset = static_cast<long long>(p.lk) - p.lq;  // absolute position of query 0
  long long begin = static_cast<long long>(split) * p.keys_per_split;
  long long end = min(static_cast<long long>(p.lk), begin + p.keys_per_split);
  if (p.structural != static_cast<int>(StructuralMask::none)) {
    const long long last_row = min(row0 + kQueryTile, p.lq) - 1;
    end = min(end, last_row + offset + 1);
  }
  if (p.structural == static_cast<int>(StructuralMask::window)) {
    const long long first_visible = row0 + offset - p.window + 1;
    if (first_visible > begin) begin = first_visible / kKeyTile * kKeyTile;
  }
  return {static_cast<int>(begin), static_cast<int>(max(end, begin))};
}

// Additive bias of query i and key j before the ALiBi slope: -inf when hidden (outside
// the block's key range, by the structural mask, or by the explicit mask), otherwise the
// explicit mask value plus, under ALiBi, -|i + (lk - lq) - j|.
__device__ __forceinline__ float key_bias(const FlashParams& p, int i, int j, int key_end) {
  if (i >= p.lq || j >= key_end) return -INFINITY;
  const long long pos = static_cast<long long>(i) + p.lk - p.lq;
  if (p.structural != static_cast<int>(StructuralMask::none) && j > pos) return -INFINITY;
  if (p.structural == static_cast<int>(StructuralMask::window) && pos - j >= p.window) return -INFINITY;
  float bias = p.mask.data ? load_element(p.mask, 0, 0, i, j) : 0.0f;
  if (p.alibi) bias += -static_cast<float>(llabs(pos - j));
  return bias;
}

// scale * dot(q, k), then soft-capping; fp32 throughout.
__device__ __forceinline__ float tile_score(const FlashParams& p, const float* q, const float* k) {
  float dot = 0.0f;
#pragma unroll 8
  for (int d = 0; d < p.dk; ++d) dot = fmaf(q[d], k[d], dot);
  float s = dot * p.scale;
  if (p.softcap > 0.0f) s = p.softcap * tanhf(s / p.softcap);
  return s;
}

// The online-softmax step of one query row over one K/V tile. s is this lane's score
// (-inf for a hidden key); every lane of the warp calls it with the same row.
template <class Acc, WarpMax kMax>
__device__ __forceinline__ void online_softmax_step(typename Acc::T& m, typename Acc::T& l,
                                                    typename Acc::T (&acc)[kColsPerLane], float s,
                                                    const float* v_tile, int dv, int lane) {
  using T = typename Acc::T;
  const float m_old = Acc::to_float(m);
  const T m_new = Acc::from_float(fmaxf(m_old, warp_row_max<kMax>(s)));
  const float m_new_f = Acc::to_float(m_new);
  const T alpha = Acc::from_float(expf(m_old - m_new_f));  // exactly 1 when the maximum did not move
  const T weight = Acc::from_float(expf(s - m_new_f));     // exactly 0 for a hidden key
  l = Acc::fma(l, alpha, warp_sum<Acc>(weight));
#pragma unroll
  for (int c = 0; c < kColsPerLane; ++c) acc[c] = Acc::mul(acc[c], alpha);
  for (int j = 0; j < kKeyTile; ++j) {
    const T w = __shfl_sync(kFullWarp, weight, j);
    if (Acc::to_float(w) == 0.0f) continue;  // warp-uniform: a hidden key's V row may hold inf or NaN
#pragma unroll
    for (int c = 0; c < kColsPerLane; ++c) {
      const int col = lane + c * kWarpSize;
      if (col < dv) acc[c] = Acc::fma(w, Acc::from_float(v_tile[j * dv + col]), acc[c]);
    }
  }
  m = m_new;
}

// The sink joins the denominator only: one more rescale, no value row.
template <class Acc>
__device__ __forceinline__ void fold_sink(typename Acc::T& m, typename Acc::T& l,
                                          typename Acc::T (&acc)[kColsPerLane], float sink) {
  using T = typename Acc::T;
  const float m_old = Acc::to_float(m);
  const T m_new = Acc::from_float(fmaxf(m_old, sink));
  const float m_new_f = Acc::to_float(m_new);
  const T alpha = Acc::from_float(expf(m_old - m_new_f));
#pragma unroll
  for (int c = 0; c < kColsPerLane; ++c) acc[c] = Acc::mul(acc[c], alpha);
  l = Acc::fma(l, alpha, Acc::from_float(expf(sink - m_new_f)));
  m = m_new;
}

// kSplit: the partial pass of flash-decoding (no sink, no normalisation; the merge does both).
template <class Acc, WarpMax kMax, bool kSplit>
__global__ void __launch_bounds__(kTileThreads) flash_tile_kernel(const FlashParams p) {
  using T = typename Acc::T;
  extern __shared__ float smem[];
  const int dk = p.dk, dv = p.dv, k_pitch = dk + 1;
  float* q_tile = smem;
  float* k_tile = q_tile + kQueryTile * dk;
  float* v_tile = k_tile + kKeyTile * k_pitch;

  const int tid = static_cast<int>(threadIdx.x);
  const int lane = tid % kWarpSize, warp = tid / kWarpSize;
  const int row0 = static_cast<int>(blockIdx.x) * kQueryTile;
  const int h = static_cast<int>(blockIdx.y);
  const int b = static_cast<int>(blockIdx.z) / p.num_splits;
  const int split = static_cast<int>(blockIdx.z) % p.num_splits;
  const int kv_h = h / (p.hq / p.hkv);
  const float slope = p.slopes[h];

  for (int idx = tid; idx < kQueryTile * dk; idx += kTileThreads) {
    const int i = row0 + idx / dk;
    q_tile[idx] = i < p.lq ? load_element(p.q, b, h, i, idx % dk) : 0.0f;
  }

  T m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][kColsPerLane];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    m[r] = Acc::from_float(Acc::kLowest);
    l[r] = Acc::from_float(0.0f);
#pragma unroll
    for (int c = 0; c < kColsPerLane; ++c) acc[r][c] = Acc::from_float(0.0f);
  }

  const KeyRange keys = block_key_range(p, row0, split);
  for (int tile = keys.begin; tile < keys.end; tile += kKeyTile) {
    __syncthreads();  // Q is staged, and every warp is done with the previous K/V tile
    for (int idx = tid; idx < kKeyTile * dk; idx += kTileThreads) {
      const int j = idx / dk, key = tile + j;
      k_tile[j * k_pitch + idx % dk] = key < keys.end ? load_element(p.k, b, kv_h, key, idx % dk) : 0.0f;
    }
    for (int idx = tid; idx < kKeyTile * dv; idx += kTileThreads) {
      const int key = tile + idx / dv;
      v_tile[idx] = key < keys.end ? load_element(p.v, b, kv_h, key, idx % dv) : 0.0f;
    }
    __syncthreads();

    const int key = tile + lane;
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int qr = warp * kRowsPerWarp + r;
      const float bias = key_bias(p, row0 + qr, key, keys.end);
      const float score = tile_score(p, q_tile + qr * dk, k_tile + lane * k_pitch);
      // Selected, not added: a hidden key's score may be NaN from inf stored in K.
      const float s = bias == -INFINITY ? -INFINITY : score + slope * bias;
      online_softmax_step<Acc, kMax>(m[r], l[r], acc[r], s, v_tile, dv, lane);
    }
  }

#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int i = row0 + warp * kRowsPerWarp + r;
    if (i >= p.lq) continue;
    const long long row = (static_cast<long long>(b) * p.hq + h) * p.lq + i;
    if constexpr (kSplit) {
      const long long part = row * p.num_splits + split;
#pragma unroll
      for (int c = 0; c < kColsPerLane; ++c) {
        const int col = lane + c * kWarpSize;
        if (col < dv) p.partial_acc[part * dv + col] = Acc::to_float(acc[r][c]);
      }
      if (lane == 0) {
        p.partial_max[part] = Acc::to_float(m[r]);
        p.partial_sum[part] = Acc::to_float(l[r]);
      }
    } else {
      if (p.sinks) fold_sink<Acc>(m[r], l[r], acc[r], p.sinks[h]);
      const float sum = Acc::to_float(l[r]);
      const long long o_row = b * p.o_stride[0] + h * p.o_stride[1] + i * p.o_stride[2];
#pragma unroll
      for (int c = 0; c < kColsPerLane; ++c) {
        const int col = lane + c * kWarpSize;
        // No visible key and no sink: the default contract's O = 0, LSE = -inf.
        if (col < dv)
          store_element(p.o, p.o_type, o_row + col * p.o_stride[3], sum == 0.0f ? 0.0f : Acc::to_float(acc[r][c]) / sum);
      }
      if (lane == 0) p.lse[row] = sum == 0.0f ? -INFINITY : Acc::to_float(m[r]) + logf(sum);
    }
  }
}

}  // namespace flashcheck::cuda
