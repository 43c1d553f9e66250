// ggml's tiled flash_attn_ext CPU path (ggml_compute_forward_flash_attn_ext_tiled): a
// tile of query rows of one head against a tile of keys at a time. Per KV tile: the mask
// tile (skipped when wholly hidden), the score tile, then per row the online-softmax
// update (new max, rescale, exp weights summed in double) and VKQ += P V.
#include <algorithm>
#include <cmath>
#include <vector>

#include "impls/cpu_scalar/attention_setup.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "impls/cpu_scalar/online_softmax.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {
namespace {

constexpr int64_t kQTile = 32;   // query rows per tile
constexpr int64_t kKvTile = 64;  // keys per tile

struct Scratch {
  std::vector<float> q, mask, k, v, kq, vkq, m, s;
  std::vector<uint8_t> visible, used;
  explicit Scratch(const CaseShape& sh)
      : q(static_cast<size_t>(kQTile * sh.dk)),
        mask(static_cast<size_t>(kQTile * sh.lk)),
        k(static_cast<size_t>(kKvTile * sh.dk)),
        v(static_cast<size_t>(kKvTile * sh.dv)),
        kq(static_cast<size_t>(kQTile * kKvTile)),
        vkq(static_cast<size_t>(kQTile * sh.dv)),
        m(static_cast<size_t>(kQTile)),
        s(static_cast<size_t>(kQTile)),
        visible(static_cast<size_t>(kQTile * kKvTile)),
        used(static_cast<size_t>(kKvTile)) {}
};

class TiledKernel {
 public:
  TiledKernel(const AttentionCase& c, Mutant mutant)
      : a_(c, mutant), tiles_per_head_((c.shape.lq + kQTile - 1) / kQTile) {}

  int64_t units() const { return a_.shape().batch * a_.shape().hq * tiles_per_head_; }

  void run_unit(int64_t unit, Scratch& w, OutputRows& out) const {
    const CaseShape& sh = a_.shape();
    const int64_t h = (unit / tiles_per_head_) % sh.hq;
    const int64_t b = unit / (tiles_per_head_ * sh.hq);
    const int64_t i0 = (unit % tiles_per_head_) * kQTile;
    const int64_t rows = std::min(kQTile, sh.lq - i0);
    const int64_t g = a_.kv_head(h);
    const float slope = a_.slope(h);

    for (int64_t tq = 0; tq < rows; ++tq) {
      a_.load_q(b, h, i0 + tq, w.q.data() + tq * sh.dk);
      a_.mask().build_row(i0 + tq, w.mask.data() + tq * sh.lk);
      w.m[static_cast<size_t>(tq)] = kNoMax;
      w.s[static_cast<size_t>(tq)] = 0.0f;
    }
    std::fill(w.vkq.begin(), w.vkq.end(), 0.0f);

    for (int64_t ic = 0; ic < sh.lk; ic += kKvTile) {
      const int64_t n = std::min(kKvTile, sh.lk - ic);
      if (!mark_visible(w, rows, ic, n)) continue;  // the whole tile is hidden
      load_tile(w, b, g, ic, n);
      score_tile(w, rows, ic, n, slope);
      for (int64_t tq = 0; tq < rows; ++tq) softmax_row(w, tq, n);
    }

    for (int64_t tq = 0; tq < rows; ++tq) {
      float* acc = w.vkq.data() + tq * sh.dv;
      RowStats st{w.m[static_cast<size_t>(tq)], w.s[static_cast<size_t>(tq)]};
      if (a_.has_sinks()) add_sink(a_.sink(h), st, acc, sh.dv);
      float lse = 0.0f;
      finish_row(st.m, st.s, acc, sh.dv, &lse);
      out.store(b, h, i0 + tq, acc, lse);
    }
  }

 private:
  // visible[tq][tk] from the mask tile; used[tk]: the key is visible to some row. False
  // when no entry of the tile is visible.
  bool mark_visible(Scratch& w, int64_t rows, int64_t ic, int64_t n) const {
    const int64_t lk = a_.shape().lk;
    bool any = false;
    std::fill(w.used.begin(), w.used.end(), uint8_t{0});
    for (int64_t tq = 0; tq < rows; ++tq)
      for (int64_t tk = 0; tk < n; ++tk) {
        const bool vis = key_visible(w.mask[static_cast<size_t>(tq * lk + ic + tk)]);
        w.visible[static_cast<size_t>(tq * kKvTile + tk)] = vis ? 1 : 0;
        w.used[static_cast<size_t>(tk)] |= vis ? 1 : 0;
        any = any || vis;
      }
    return any;
  }

  // Decodes the K and V rows of the tile's keys; keys no row sees are never read.
  void load_tile(Scratch& w, int64_t b, int64_t g, int64_t ic, int64_t n) const {
    const CaseShape& sh = a_.shape();
    for (int64_t tk = 0; tk < n; ++tk) {
      if (!w.used[static_cast<size_t>(tk)]) continue;
      a_.k().read(b, g, ic + tk, w.k.data() + tk * sh.dk);
      a_.v().read(b, g, ic + tk, w.v.data() + tk * sh.dv);
    }
  }

  void score_tile(Scratch& w, int64_t rows, int64_t ic, int64_t n, float slope) const {
    const CaseShape& sh = a_.shape();
    for (int64_t tq = 0; tq < rows; ++tq)
      for (int64_t tk = 0; tk < n; ++tk) {
        const auto at = static_cast<size_t>(tq * kKvTile + tk);
        if (!w.visible[at]) continue;
        const float* q = w.q.data() + tq * sh.dk;
        const float* k = w.k.data() + tk * sh.dk;
        float dot = 0.0f;
        for (int64_t d = 0; d < sh.dk; ++d) dot += q[d] * k[d];
        float s = dot * a_.scale_kq();
        if (a_.softcap() > 0.0f) s = a_.softcap() * std::tanh(s);
        w.kq[at] = s + slope * w.mask[static_cast<size_t>(tq * sh.lk + ic + tk)];
      }
  }

  // Row tq's online-softmax update for this tile, then VKQ += P V over its visible keys.
  void softmax_row(Scratch& w, int64_t tq, int64_t n) const {
    const int64_t dv = a_.shape().dv;
    const uint8_t* visible = w.visible.data() + tq * kKvTile;
    float* kq = w.kq.data() + tq * kKvTile;
    float tile_max = kNoMax;
    bool any = false;
    for (int64_t tk = 0; tk < n; ++tk)
      if (visible[tk]) {
        tile_max = any ? std::max(tile_max, kq[tk]) : kq[tk];
        any = true;
      }
    if (!any) return;
    float& m = w.m[static_cast<size_t>(tq)];
    float& s = w.s[static_cast<size_t>(tq)];
    float* acc = w.vkq.data() + tq * dv;
    const float m_new = std::max(m, tile_max);
    if (m_new > m) {
      const float ms = rescale_factor(m, m_new);
      for (int64_t d = 0; d < dv; ++d) acc[d] *= ms;
      s *= ms;
    }
    m = m_new;
    double sum = 0.0;  // ggml_vec_soft_max_f32 sums the weights in double
    for (int64_t tk = 0; tk < n; ++tk) {
      const float p = visible[tk] ? std::exp(kq[tk] - m_new) : 0.0f;
      kq[tk] = p;
      sum += static_cast<double>(p);
    }
    s = static_cast<float>(static_cast<double>(s) + sum);
    for (int64_t tk = 0; tk < n; ++tk) {
      if (!visible[tk]) continue;
      const float* v = w.v.data() + tk * dv;
      for (int64_t d = 0; d < dv; ++d) acc[d] += kq[tk] * v[d];
    }
  }

  AttentionSetup a_;
  int64_t tiles_per_head_;
};

}  // namespace

RunOutput flash_attn_tiled(const AttentionCase& c, const KernelOptions& o) {
  const TiledKernel kernel(c, o.mutant);
  OutputRows out(c);
  parallel_units(kernel.units(), o.threads, Scratch(c.shape),
                 [&](int64_t unit, Scratch& w) { kernel.run_unit(unit, w, out); });
  return out.take();
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
