#include "impls/cpu_textbook/cpu_textbook.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "impls/cpu_textbook/storage_rows.hpp"

namespace flashcheck {
namespace {

using textbook::RowReader;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Per-thread working rows: decoded Q, K and V rows and the fp32 output accumulator.
struct Scratch {
  std::vector<float> q, k, v, acc;
  explicit Scratch(const CaseShape& s)
      : q(static_cast<size_t>(s.dk)), k(static_cast<size_t>(s.dk)), v(static_cast<size_t>(s.dv)),
        acc(static_cast<size_t>(s.dv)) {}
};

class TextbookKernel {
 public:
  explicit TextbookKernel(const AttentionCase& c)
      : c_(c), q_(c.q), k_(c.k), v_(c.v), mask_(c.materialized_mask()), slopes_(static_cast<size_t>(c.shape.hq)) {
    for (int64_t h = 0; h < c.shape.hq; ++h) slopes_[static_cast<size_t>(h)] = c.slope(h);
  }

  // Query row `row` of the flattened [batch][hq][lq] index space.
  void compute_row(int64_t row, Scratch& w, RunOutput& out) const {
    const auto& s = c_.shape;
    const int64_t i = row % s.lq;
    const int64_t h = (row / s.lq) % s.hq;
    const int64_t b = row / (s.lq * s.hq);
    const int64_t kv_h = c_.kv_head(h);
    const float slope = slopes_[static_cast<size_t>(h)];
    const float scale = c_.scale;
    const float softcap = c_.softcap;
    const float* bias = mask_.data() + i * s.lk;

    q_.read(b, h, i, w.q.data());
    std::fill(w.acc.begin(), w.acc.end(), 0.0f);
    float m = kNegInf;  // running maximum score
    float l = 0.0f;     // running softmax denominator, relative to exp(m)

    for (int64_t j = 0; j < s.lk; ++j) {
      // Hidden keys are never read: their storage may hold inf or NaN.
      if (bias[j] == kNegInf) continue;
      k_.read(b, kv_h, j, w.k.data());
      float score = 0.0f;
      for (int64_t d = 0; d < s.dk; ++d) score += w.q[d] * w.k[d];
      score *= scale;
      if (softcap > 0.0f) score = softcap * std::tanh(score / softcap);
      score += slope * bias[j];
      if (score == kNegInf) continue;

      v_.read(b, kv_h, j, w.v.data());
      const float m_new = std::max(m, score);
      const float alpha = std::exp(m - m_new);  // 1 when the maximum did not move
      const float p = std::exp(score - m_new);
      for (int64_t col = 0; col < s.dv; ++col) w.acc[col] = w.acc[col] * alpha + p * w.v[col];
      l = l * alpha + p;
      m = m_new;
    }

    if (c_.has_sinks()) {
      // The sink joins the denominator only: it has no value row.
      const float sink = c_.sinks[static_cast<size_t>(h)];
      const float m_new = std::max(m, sink);
      const float alpha = std::exp(m - m_new);
      for (float& a : w.acc) a *= alpha;
      l = l * alpha + std::exp(sink - m_new);
      m = m_new;
    }

    if (l == 0.0f) {  // no visible key and no sink: the default contract's empty row
      for (int64_t col = 0; col < s.dv; ++col) out.o.set(b, h, i, col, 0.0);
      out.lse[static_cast<size_t>(row)] = kNegInf;
      return;
    }
    for (int64_t col = 0; col < s.dv; ++col) out.o.set(b, h, i, col, w.acc[col] / l);  // set rounds to o_type
    out.lse[static_cast<size_t>(row)] = m + std::log(l);
  }

 private:
  const AttentionCase& c_;
  RowReader q_, k_, v_;
  std::vector<float> mask_;  // [lq][lk], every bias folded in once, as ggml takes one mask
  std::vector<float> slopes_;
};

class CpuTextbookBackend final : public Backend {
 public:
  explicit CpuTextbookBackend(int threads) : threads_(threads) {}

  std::string name() const override { return kCpuTextbookName; }
  std::string description() const override { return "plain fp32 online-softmax flash-attention loop"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    caps.lse = true;
    return caps;
  }

  bool set_threads(int threads) override {
    threads_ = std::max(threads, 0);
    return true;
  }

  RunResult run(const AttentionCase& c) override {
    const auto& s = c.shape;
    const int64_t rows = s.batch * s.hq * s.lq;
    RunResult result;
    result.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
    result.output.lse.assign(static_cast<size_t>(rows), 0.0f);
    const TextbookKernel kernel(c);

    const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
    const int64_t workers = std::clamp<int64_t>(threads_ > 0 ? threads_ : hardware, 1, rows);
    // Scratch is allocated here so worker threads never allocate (and never throw).
    std::vector<Scratch> scratch(static_cast<size_t>(workers), Scratch(s));
    std::atomic<int64_t> next_row{0};
    auto work = [&](Scratch& w) {
      for (int64_t row = next_row++; row < rows; row = next_row++) kernel.compute_row(row, w, result.output);
    };
    {
      std::vector<std::jthread> pool;
      for (int64_t t = 1; t < workers; ++t) pool.emplace_back(work, std::ref(scratch[static_cast<size_t>(t)]));
      work(scratch[0]);
    }
    return result;
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_textbook_backend(int threads) { return std::make_unique<CpuTextbookBackend>(threads); }

}  // namespace flashcheck
