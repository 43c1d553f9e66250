// The arithmetic of the seed's ESIMD kernels in fp32 as written (no FMA: each product and
// sum is its own rounding). SIMD16 reductions are ESIMD's reduce<>(): pairwise halving,
// lane l with lane l + 8, then + 4, + 2, + 1.
#include "impls/models/esimd_splitkv/splitkv_kernels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace flashcheck::models::esimd {
namespace {

using Simd16 = std::array<float, kLanes>;

float reduce_sum(Simd16 v) {
  for (int64_t width = kLanes / 2; width >= 1; width /= 2)
    for (int64_t l = 0; l < width; ++l) v[static_cast<size_t>(l)] += v[static_cast<size_t>(l + width)];
  return v[0];
}

float reduce_max(Simd16 v) {
  for (int64_t width = kLanes / 2; width >= 1; width /= 2)
    for (int64_t l = 0; l < width; ++l)
      v[static_cast<size_t>(l)] = std::max(v[static_cast<size_t>(l)], v[static_cast<size_t>(l + width)]);
  return v[0];
}

// The device exp on arguments far below its range. The seed reports that the hardware
// exp returns NaN for very negative inputs (why safe_exp16 clamps); the model takes
// "very negative" as an argument whose base-2 exponent x * log2(e) is below the int32
// range the math unit splits it into.
float hardware_exp(float x) {
  constexpr float kLog2e = 1.44269504088896340736f;
  if (x * kLog2e < -2147483648.0f) return std::numeric_limits<float>::quiet_NaN();
  return std::exp(x);
}

// safe_exp16 per lane: exp(x), merged with 0 where x < -80.
float safe_exp(float x, const KernelSwitches& sw) {
  if (sw.exp_unclamped) return hardware_exp(x);
  const float e = std::exp(x);
  return x < kExpFloor ? 0.0f : e;
}

// The online-softmax correction factors: sycl::exp(sycl::clamp(d, -80, 0)).
float correction_exp(float d, const KernelSwitches& sw) {
  if (sw.exp_unclamped) return hardware_exp(d);
  return std::exp(std::clamp(d, kExpFloor, 0.0f));
}

size_t at(int64_t i) { return static_cast<size_t>(i); }

}  // namespace

Partials::Partials(const SplitKvArgs& a) {
  const int64_t rows = a.batch * a.hq * a.lq * a.partitions();
  out.assign(at(rows * a.dv), 0.0f);
  row_max.assign(at(rows), kMaskedScore);
  row_sum.assign(at(rows), 0.0f);
}

SubKernelScratch::SubKernelScratch(const SplitKvArgs& a)
    : q(at(kBr * a.dk)),
      out(at(kBr * a.dv)),
      scores(at(kBr * kBc)),
      probs(at(kBr * kBc)),
      kv_row(at(std::max(a.dk, a.dv))) {}

int64_t sub_kernel_groups(const SplitKvArgs& a) { return a.batch * a.hq * a.q_tiles() * a.partitions(); }

void run_sub_kernel(const SplitKvArgs& a, int64_t wg, SubKernelScratch& w, Partials& partials) {
  const int64_t partition = wg % a.partitions();
  const int64_t tile = (wg / a.partitions()) % a.q_tiles();
  const int64_t h = (wg / (a.partitions() * a.q_tiles())) % a.hq;
  const int64_t b = wg / (a.partitions() * a.q_tiles() * a.hq);
  const int64_t g = h * a.hkv / a.hq;
  const int64_t q_row_start = tile * kBr;
  const int64_t actual_rows = std::min(kBr, a.lq - q_row_start);
  const int64_t seq_diff = a.lk - a.lq;
  const int64_t part_begin = partition * a.partition_tokens;
  const int64_t part_end = std::min(a.lk, part_begin + a.partition_tokens);
  const KernelSwitches& sw = a.switches;

  // Preload Q (rows past the sequence are zero), clear the accumulators.
  for (int64_t r = 0; r < kBr; ++r)
    for (int64_t d = 0; d < a.dk; ++d)
      w.q[at(r * a.dk + d)] =
          r < actual_rows ? (*a.queries)[at(((b * a.lq + q_row_start + r) * a.hq + h) * a.dk + d)] : 0.0f;
  std::fill(w.out.begin(), w.out.end(), 0.0f);
  std::array<float, kBr> row_max, row_sum;
  row_max.fill(kMaskedScore);
  row_sum.fill(0.0f);

  for (int64_t kv_start = part_begin; kv_start < part_end; kv_start += kBc) {
    if (a.causal && kv_start > q_row_start + actual_rows - 1 + seq_diff) break;
    const int64_t chunk_len = std::min(kBc, part_end - kv_start);

    // Phase A: scores, one dot product per (row, key) in SIMD16 pieces.
    std::fill(w.scores.begin(), w.scores.end(), kMaskedScore);
    for (int64_t c = 0; c < chunk_len; ++c) {
      const int64_t kv_pos = kv_start + c;
      std::array<float, kBr> dot{};
      a.k->load_row(b, kv_pos, g, w.kv_row.data());  // block_load<fp16, 16> piece by piece
      for (int64_t piece = 0; piece < a.dk; piece += kLanes) {
        for (int64_t r = 0; r < kBr; ++r) {
          Simd16 products;
          for (int64_t l = 0; l < kLanes; ++l) products[at(l)] = w.q[at(r * a.dk + piece + l)] * w.kv_row[at(piece + l)];
          dot[at(r)] += reduce_sum(products);
        }
      }
      for (int64_t r = 0; r < kBr; ++r) w.scores[at(r * kBc + c)] = dot[at(r)] * a.sm_scale;
    }
    for (int64_t r = 0; r < kBr; ++r)
      for (int64_t c = 0; c < kBc; ++c) {
        const bool hidden = (a.causal && kv_start + c > q_row_start + r + seq_diff) || r >= actual_rows;
        if (hidden) w.scores[at(r * kBc + c)] = kMaskedScore;
      }

    // Phase B: SIMD softmax of the chunk, then the online correction.
    std::array<float, kBr> correction_old, correction_new;
    for (int64_t r = 0; r < kBr; ++r) {
      Simd16 s;
      std::copy_n(w.scores.begin() + r * kBc, kBc, s.begin());
      const float chunk_max = sw.max_from_lane0 ? s[0] : reduce_max(s);
      Simd16 p;
      for (int64_t c = 0; c < kBc; ++c) p[at(c)] = safe_exp(s[at(c)] - chunk_max, sw);
      const float chunk_sum = reduce_sum(p);

      const float new_max = row_max[at(r)] > chunk_max ? row_max[at(r)] : chunk_max;
      correction_old[at(r)] = correction_exp(row_max[at(r)] - new_max, sw);
      correction_new[at(r)] = correction_exp(chunk_max - new_max, sw);
      row_sum[at(r)] = row_sum[at(r)] * correction_old[at(r)] + chunk_sum * correction_new[at(r)];
      row_max[at(r)] = new_max;
      for (int64_t c = 0; c < kBc; ++c) w.probs[at(r * kBc + c)] = p[at(c)] * correction_new[at(r)];
    }
    for (int64_t r = 0; r < kBr; ++r)
      for (int64_t d = 0; d < a.dv; ++d) w.out[at(r * a.dv + d)] = w.out[at(r * a.dv + d)] * correction_old[at(r)];

    // Phase C: P x V, skipping keys no row of the tile weighs.
    for (int64_t c = 0; c < kBc; ++c) {
      bool all_zero = true;
      for (int64_t r = 0; r < kBr; ++r) all_zero = all_zero && w.probs[at(r * kBc + c)] == 0.0f;
      if (all_zero || c >= chunk_len) continue;
      a.v->load_row(b, kv_start + c, g, w.kv_row.data());
      for (int64_t d = 0; d < a.dv; ++d) {
        const float v = w.kv_row[at(d)];
        for (int64_t r = 0; r < kBr; ++r) w.out[at(r * a.dv + d)] = w.out[at(r * a.dv + d)] + v * w.probs[at(r * kBc + c)];
      }
    }
  }

  // Normalise by the partition's own sum and write the partials.
  for (int64_t r = 0; r < actual_rows; ++r) {
    const int64_t slot = ((b * a.hq + h) * a.lq + q_row_start + r) * a.partitions() + partition;
    const float inv_sum = row_sum[at(r)] > 0.0f ? 1.0f / row_sum[at(r)] : 0.0f;
    for (int64_t d = 0; d < a.dv; ++d) partials.out[at(slot * a.dv + d)] = w.out[at(r * a.dv + d)] * inv_sum;
    partials.row_max[at(slot)] = row_max[at(r)];
    partials.row_sum[at(slot)] = row_sum[at(r)];
  }
}

void run_reduce(const SplitKvArgs& a, const Partials& partials, int64_t row, float* o) {
  const int64_t n = a.partitions();
  const int64_t first = row * n;
  // Each partition's log-sum-exp; an empty partition (sum 0) has -inf.
  float max_lse = kMaskedScore;
  for (int64_t p = 0; p < n; ++p) {
    const float lse = partials.row_max[at(first + p)] + std::log(partials.row_sum[at(first + p)]);
    max_lse = max_lse > lse ? max_lse : lse;
  }
  float total = 0.0f;
  for (int64_t d = 0; d < a.dv; ++d) o[d] = 0.0f;
  for (int64_t p = 0; p < n; ++p) {
    const float lse = partials.row_max[at(first + p)] + std::log(partials.row_sum[at(first + p)]);
    const float weight = safe_exp(lse - max_lse, a.switches);
    total += weight;
    for (int64_t d = 0; d < a.dv; ++d) o[d] += weight * partials.out[at((first + p) * a.dv + d)];
  }
  const float inv_total = total > 0.0f ? 1.0f / total : 0.0f;
  for (int64_t d = 0; d < a.dv; ++d) o[d] *= inv_total;
}

}  // namespace flashcheck::models::esimd
