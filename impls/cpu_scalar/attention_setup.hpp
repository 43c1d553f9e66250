#pragma once
// What every cpu-scalar kernel resolves once per case before its row loops: the row
// readers of Q, K and V, the KQ mask, the per-head slopes and scale, the KV head of a
// query head, and where results go.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "core/backend.hpp"
#include "impls/cpu_scalar/build_namespace.hpp"
#include "impls/cpu_scalar/kq_mask.hpp"
#include "impls/cpu_scalar/kv_row_reader.hpp"
#include "impls/cpu_scalar/mutants.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

class AttentionSetup {
 public:
  AttentionSetup(const AttentionCase& c, Mutant mutant);

  const CaseShape& shape() const { return shape_; }
  int64_t kv_head(int64_t h) const { return gqa_modulo_ ? h % shape_.hkv : h / shape_.gqa_ratio(); }
  float slope(int64_t h) const { return slopes_[static_cast<size_t>(h)]; }
  // ggml folds 1/softcap into the scale: s = softcap * tanh(dot * scale / softcap).
  float scale_kq() const { return scale_kq_; }
  float softcap() const { return softcap_; }
  bool has_sinks() const { return !sinks_.empty(); }
  float sink(int64_t h) const { return sinks_[static_cast<size_t>(h)]; }

  // Q row (b, h, i) in f32, rotated block by block when K was Hadamard-rotated.
  void load_q(int64_t b, int64_t h, int64_t i, float* out) const;
  const KvRows& k() const { return k_; }
  const KvRows& v() const { return v_; }
  const KqMask& mask() const { return mask_; }

 private:
  CaseShape shape_;
  StorageRows q_;
  KvRows k_, v_;
  KqMask mask_;
  std::vector<float> slopes_;
  std::vector<float> sinks_;
  float scale_kq_, softcap_;
  bool rotate_q_;
  bool gqa_modulo_;
};

// O in the case's dtype (contiguous) and the LSE of every row, stored as rows finish.
class OutputRows {
 public:
  explicit OutputRows(const AttentionCase& c);
  // acc holds the normalized f32 row; stored rounded to O's dtype.
  void store(int64_t b, int64_t h, int64_t i, const float* row, float lse);
  RunOutput take() { return std::move(out_); }

 private:
  CaseShape shape_;
  RunOutput out_;
};

// The end of a row's online softmax: O = VKQ / S and LSE = M + log S, or the empty-row
// convention (O = 0, LSE = -inf) when nothing was accumulated. Overwrites acc with O.
void finish_row(float m, float s, float* acc, int64_t dv, float* lse);

// Calls work(unit, scratch) for every unit in [0, units), spread over worker threads that
// each own a copy of `scratch` (allocated up front, so workers never allocate).
template <class Scratch, class Work>
void parallel_units(int64_t units, int threads, const Scratch& scratch, Work work) {
  if (units <= 0) return;
  const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t workers = std::clamp<int64_t>(threads > 0 ? threads : hardware, 1, units);
  std::vector<Scratch> own(static_cast<size_t>(workers), scratch);
  std::atomic<int64_t> next{0};
  auto loop = [&](Scratch& w) {
    for (int64_t u = next++; u < units; u = next++) work(u, w);
  };
  std::vector<std::jthread> pool;
  for (int64_t t = 1; t < workers; ++t) pool.emplace_back(loop, std::ref(own[static_cast<size_t>(t)]));
  loop(own[0]);
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
