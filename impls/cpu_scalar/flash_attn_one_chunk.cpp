// ggml's flash_attn_ext one-chunk CPU kernel (ggml_compute_forward_flash_attn_ext_f16_one_chunk):
// one query row at a time, an online softmax with running max M and sum S, and a V
// accumulator VKQ, reading K and V rows straight from their storage. Q stays in f32.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "impls/cpu_scalar/attention_setup.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "impls/cpu_scalar/online_softmax.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {
namespace {

struct Scratch {
  std::vector<float> q, k, v, mask, acc;
  std::vector<uint16_t> acc16;
  explicit Scratch(const CaseShape& s)
      : q(static_cast<size_t>(s.dk)), k(static_cast<size_t>(s.dk)), v(static_cast<size_t>(s.dv)),
        mask(static_cast<size_t>(s.lk)), acc(static_cast<size_t>(s.dv)), acc16(static_cast<size_t>(s.dv)) {}
};

// One query row: batch b, query head h, position i, reading KV head g.
struct RowJob {
  int64_t b, h, i, g;
  float slope;
};

// scale * dot(q, k), soft-capped as ggml does (the scale already holds 1/softcap).
float raw_score(const AttentionSetup& a, const Scratch& w) {
  const int64_t dk = a.shape().dk;
  float dot = 0.0f;
  for (int64_t d = 0; d < dk; ++d) dot += w.q[static_cast<size_t>(d)] * w.k[static_cast<size_t>(d)];
  float s = dot * a.scale_kq();
  if (a.softcap() > 0.0f) s = a.softcap() * std::tanh(s);
  return s;
}

// The correct loop: hidden keys are skipped by an explicit visibility test before any
// of their storage is read, and the running max starts at a finite sentinel.
template <class Acc>
RowStats attend_keys(const AttentionSetup& a, const RowJob& r, Scratch& w, Acc& acc) {
  RowStats st{kNoMax, 0.0f};
  for (int64_t j = 0; j < a.shape().lk; ++j) {
    const float mask = w.mask[static_cast<size_t>(j)];
    if (!key_visible(mask)) continue;  // hidden keys may hold inf or NaN: never read them
    a.k().read(r.b, r.g, j, w.k.data());
    const float s = raw_score(a, w) + r.slope * mask;
    float ms = 1.0f;  // rescale of VKQ and S on a new maximum
    float vs = 1.0f;  // this key's weight exp(s - M)
    if (s > st.m) {
      ms = rescale_factor(st.m, s);
      st.m = s;
      acc.scale(ms);
    } else {
      vs = std::exp(s - st.m);
    }
    a.v().read(r.b, r.g, j, w.v.data());
    acc.mad(w.v.data(), vs);
    st.s = st.s * ms + vs;
  }
  return st;
}

// Seeded bug (seed 004): M starts at -inf, a hidden key is recognised by an IEEE inf test
// on slope * mask, and exp(M_old - M_new) is taken unguarded. Right under IEEE; a
// finite-math build deletes the inf test, and a row that starts with hidden keys gets
// exp(-inf - -inf) = NaN. (The test is std::isinf, which GCC folds to false under
// -ffinite-math-only; it keeps x == -INFINITY as x < -FLT_MAX, which still holds.)
RowStats attend_keys_neg_inf_init(const AttentionSetup& a, const RowJob& r, Scratch& w, F32Accumulator& acc) {
  RowStats st{-std::numeric_limits<float>::infinity(), 0.0f};
  for (int64_t j = 0; j < a.shape().lk; ++j) {
    const float mv = r.slope * w.mask[static_cast<size_t>(j)];
    if (std::isinf(mv)) continue;
    a.k().read(r.b, r.g, j, w.k.data());
    const float s = raw_score(a, w) + mv;
    const float m_new = std::max(st.m, s);
    const float ms = std::exp(st.m - m_new);
    const float vs = std::exp(s - m_new);
    acc.scale(ms);
    a.v().read(r.b, r.g, j, w.v.data());
    acc.mad(w.v.data(), vs);
    st.s = st.s * ms + vs;
    st.m = m_new;
  }
  return st;
}

// Seeded bug (seed 004): no visibility test; every key is scored as s + slope * mask and
// IEEE arithmetic is trusted to turn mask = -inf into a zero weight. Reads hidden K/V
// (inf or NaN there leaks) and, built with finite math, loses the inf test that keeps
// exp(-inf - -inf) out of rows starting with hidden keys.
RowStats attend_keys_inf_plus_slope_mask(const AttentionSetup& a, const RowJob& r, Scratch& w,
                                         F32Accumulator& acc) {
  RowStats st{-std::numeric_limits<float>::infinity(), 0.0f};
  for (int64_t j = 0; j < a.shape().lk; ++j) {
    a.k().read(r.b, r.g, j, w.k.data());
    const float s = raw_score(a, w) + r.slope * w.mask[static_cast<size_t>(j)];
    float ms = 1.0f, vs = 1.0f;
    if (s > st.m) {
      ms = std::exp(st.m - s);
      st.m = s;
      acc.scale(ms);
    } else {
      vs = std::isinf(s) ? 0.0f : std::exp(s - st.m);
    }
    a.v().read(r.b, r.g, j, w.v.data());
    acc.mad(w.v.data(), vs);
    st.s = st.s * ms + vs;
  }
  return st;
}

// The seed-004 sink update: exp(M - sink) with M possibly still -inf.
void add_sink_unguarded(float sink, RowStats& st, float* acc, int64_t dv) {
  const float m_new = std::max(st.m, sink);
  const float ms = std::exp(st.m - m_new);
  for (int64_t d = 0; d < dv; ++d) acc[d] *= ms;
  st.s = st.s * ms + std::exp(sink - m_new);
  st.m = m_new;
}

class OneChunkKernel {
 public:
  OneChunkKernel(const AttentionCase& c, Mutant mutant) : a_(c, mutant), mutant_(mutant) {}

  void run_row(int64_t row, Scratch& w, OutputRows& out) const {
    const CaseShape& s = a_.shape();
    const int64_t i = row % s.lq;
    const int64_t h = (row / s.lq) % s.hq;
    const int64_t b = row / (s.lq * s.hq);
    const RowJob r{b, h, i, a_.kv_head(h), a_.slope(h)};
    a_.load_q(b, h, i, w.q.data());
    a_.mask().build_row(i, w.mask.data());

    RowStats st{};
    switch (mutant_) {
      case Mutant::vkq16: {
        F16Accumulator acc(w.acc16.data(), s.dv);
        st = attend_keys(a_, r, w, acc);
        acc.to_f32(w.acc.data());
        break;
      }
      case Mutant::neg_inf_init: {
        F32Accumulator acc(w.acc.data(), s.dv);
        st = attend_keys_neg_inf_init(a_, r, w, acc);
        break;
      }
      case Mutant::inf_plus_slope_mask: {
        F32Accumulator acc(w.acc.data(), s.dv);
        st = attend_keys_inf_plus_slope_mask(a_, r, w, acc);
        break;
      }
      default: {
        F32Accumulator acc(w.acc.data(), s.dv);
        st = attend_keys(a_, r, w, acc);
        break;
      }
    }
    if (a_.has_sinks()) {
      const bool seed_004 = mutant_ == Mutant::neg_inf_init || mutant_ == Mutant::inf_plus_slope_mask;
      if (seed_004) add_sink_unguarded(a_.sink(h), st, w.acc.data(), s.dv);
      else add_sink(a_.sink(h), st, w.acc.data(), s.dv);
    }
    float lse = 0.0f;
    finish_row(st.m, st.s, w.acc.data(), s.dv, &lse);
    out.store(b, h, i, w.acc.data(), lse);
  }

 private:
  AttentionSetup a_;
  Mutant mutant_;
};

}  // namespace

RunOutput flash_attn_one_chunk(const AttentionCase& c, const KernelOptions& o) {
  const OneChunkKernel kernel(c, o.mutant);
  OutputRows out(c);
  const int64_t rows = c.shape.batch * c.shape.hq * c.shape.lq;
  parallel_units(rows, o.threads, Scratch(c.shape), [&](int64_t row, Scratch& w) { kernel.run_row(row, w, out); });
  return out.take();
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
