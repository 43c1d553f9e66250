#pragma once
// The two kernels of the ESIMD split-KV prefill attention (seed 002): a sub-kernel per
// (sequence, query head, tile of kBr query rows, KV partition) running the kBc-key
// online softmax and writing its partition's normalised output with the row max and sum
// (float32), then a reduce kernel merging the partitions by their log-sum-exp.
#include <cstdint>
#include <vector>

#include "impls/models/esimd_splitkv/paged_kv_cache.hpp"

namespace flashcheck::models::esimd {

inline constexpr int64_t kBr = 4;          // query rows per work-group
inline constexpr int64_t kBc = 16;         // keys per softmax step (one SIMD16 vector)
inline constexpr int64_t kLanes = 16;      // SIMD width of every load, dot and reduce
inline constexpr float kMaskedScore = -1e30f;  // the kernel's "-inf" for masked lanes and the initial row max
inline constexpr float kExpFloor = -80.0f;     // safe_exp16's clamp: exp of anything below is 0

// The seeded bugs the kernels can be built with.
struct KernelSwitches {
  bool max_from_lane0 = false;  // reduce<float>(s, maximum<>()) returning s[0] (the JIT bug the seed reports)
  bool exp_unclamped = false;   // safe_exp16's merge and the correction clamps removed
};

struct SplitKvArgs {
  int64_t batch = 1, hq = 1, hkv = 1, lq = 1, lk = 1, dk = 16, dv = 16;
  float sm_scale = 1.0f;
  bool causal = false;
  int64_t partition_tokens = 128;  // PARTITION_SIZE, a multiple of kBc
  const std::vector<float>* queries = nullptr;  // varlen layout [batch * lq][hq][dk], widened to float
  const PagedKvCache* k = nullptr;
  const PagedKvCache* v = nullptr;
  KernelSwitches switches;

  int64_t q_tiles() const { return (lq + kBr - 1) / kBr; }
  int64_t partitions() const { return (lk + partition_tokens - 1) / partition_tokens; }
};

// What the sub-kernels write: per (b, h, query row, partition) the partition's output
// already divided by its row sum, its row max and its row sum.
struct Partials {
  std::vector<float> out;           // [b][h][lq][partition][dv]
  std::vector<float> row_max, row_sum;  // [b][h][lq][partition]
  explicit Partials(const SplitKvArgs& a);
};

// A work-group's registers, allocated once per worker.
struct SubKernelScratch {
  std::vector<float> q, out, scores, probs, kv_row;
  explicit SubKernelScratch(const SplitKvArgs& a);
};

// Work-group `wg` of the sub-kernel: wg = ((b * hq + h) * q_tiles + tile) * partitions + partition.
void run_sub_kernel(const SplitKvArgs& a, int64_t wg, SubKernelScratch& scratch, Partials& partials);
int64_t sub_kernel_groups(const SplitKvArgs& a);

// The reduce kernel for query row `row` of [b][h][lq]: the merged output row (float).
void run_reduce(const SplitKvArgs& a, const Partials& partials, int64_t row, float* o);

}  // namespace flashcheck::models::esimd
