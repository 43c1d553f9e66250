#pragma once
// The pieces of ggml's online softmax that the one-chunk and tiled kernels share: the
// "no maximum yet" sentinel, the V accumulators and the sink update.
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "impls/cpu_scalar/build_namespace.hpp"
#include "impls/cpu_scalar/scalar_convert.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

// The running max before any visible key: finite, so -ffinite-math-only builds never see
// an infinity, and never passed to exp (the first visible key has nothing to rescale).
inline constexpr float kNoMax = -FLT_MAX;

// Rescale factor exp(m_old - m_new) for a new maximum m_new > m_old.
inline float rescale_factor(float m_old, float m_new) { return m_old == kNoMax ? 0.0f : std::exp(m_old - m_new); }

struct RowStats {
  float m;  // running maximum score
  float s;  // running sum of exp(score - m)
};

// The f32 V accumulator (ggml's VKQ32).
class F32Accumulator {
 public:
  F32Accumulator(float* acc, int64_t n) : acc_(acc), n_(n) {
    for (int64_t d = 0; d < n_; ++d) acc_[d] = 0.0f;
  }
  void scale(float ms) {
    for (int64_t d = 0; d < n_; ++d) acc_[d] *= ms;
  }
  void mad(const float* v, float vs) {
    for (int64_t d = 0; d < n_; ++d) acc_[d] += v[d] * vs;
  }
  void to_f32(float* out) const {
    for (int64_t d = 0; d < n_; ++d) out[d] = acc_[d];
  }

 private:
  float* acc_;
  int64_t n_;
};

// ggml's VKQ16 path: the accumulator lives in f16, every update rounded back to it
// (ggml_vec_scale_f16 / ggml_vec_mad_f16).
class F16Accumulator {
 public:
  F16Accumulator(uint16_t* acc, int64_t n) : acc_(acc), n_(n) {
    for (int64_t d = 0; d < n_; ++d) acc_[d] = 0;
  }
  void scale(float ms) {
    for (int64_t d = 0; d < n_; ++d) acc_[d] = f32_to_f16(f16_to_f32(acc_[d]) * ms);
  }
  void mad(const float* v, float vs) {
    for (int64_t d = 0; d < n_; ++d) acc_[d] = f32_to_f16(f16_to_f32(acc_[d]) + v[d] * vs);
  }
  void to_f32(float* out) const {
    for (int64_t d = 0; d < n_; ++d) out[d] = f16_to_f32(acc_[d]);
  }

 private:
  uint16_t* acc_;
  int64_t n_;
};

// The sink joins the denominator only (it has no value row); acc is the f32 accumulator.
inline void add_sink(float sink, RowStats& st, float* acc, int64_t dv) {
  if (sink > st.m) {
    const float ms = rescale_factor(st.m, sink);
    for (int64_t d = 0; d < dv; ++d) acc[d] *= ms;
    st.s = st.s * ms + 1.0f;
    st.m = sink;
  } else {
    st.s += std::exp(sink - st.m);
  }
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
