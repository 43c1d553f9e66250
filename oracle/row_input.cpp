#include <cmath>

#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {

KvGroup KvGroup::load(const AttentionCase& c, int64_t b, int64_t hkv) {
  KvGroup g;
  g.lk = c.shape.lk;
  g.dk = c.shape.dk;
  g.dv = c.shape.dv;
  g.k_bits = traits(c.k_type).format.precision;
  g.v_bits = traits(c.v_type).format.precision;
  g.k.resize(static_cast<size_t>(g.lk * g.dk));
  g.v.resize(static_cast<size_t>(g.lk * g.dv));
  g.v_row_nonfinite.assign(static_cast<size_t>(g.lk), 0);
  for (int64_t j = 0; j < g.lk; ++j) {
    c.k.read_row(b, hkv, j, g.k.data() + j * g.dk);
    double* v = g.v.data() + j * g.dv;
    c.v.read_row(b, hkv, j, v);
    for (int64_t d = 0; d < g.dv; ++d)
      if (!std::isfinite(v[d])) g.v_row_nonfinite[static_cast<size_t>(j)] = 1;
  }
  if (c.rotated_q) {
    const int64_t blocks = g.dk / 32;
    g.k_block_l1.assign(static_cast<size_t>(g.lk * blocks), 0.0);
    for (int64_t j = 0; j < g.lk; ++j)
      for (int64_t d = 0; d < g.dk; ++d)
        g.k_block_l1[static_cast<size_t>(j * blocks + d / 32)] += std::fabs(g.k[static_cast<size_t>(j * g.dk + d)]);
  }
  return g;
}

RowInput RowInput::make(const AttentionCase& c, const KvGroup& kv, int64_t b, int64_t h, int64_t i) {
  RowInput r;
  r.c = &c;
  r.kv = &kv;
  r.b = b;
  r.h = h;
  r.i = i;
  r.q.resize(static_cast<size_t>(c.shape.dk));
  // With Hadamard-rotated K the scores are taken against Q rotated the same way.
  const Tensor& q = c.oracle_q();
  q.read_row(b, h, i, r.q.data());
  r.q_bits = traits(q.dtype).format.precision;
  if (c.rotated_q) {
    std::vector<double> unrotated(static_cast<size_t>(c.shape.dk));
    c.q.read_row(b, h, i, unrotated.data());
    r.q_block_l1.assign(static_cast<size_t>(c.shape.dk / 32), 0.0);
    for (int64_t d = 0; d < c.shape.dk; ++d) r.q_block_l1[static_cast<size_t>(d / 32)] += std::fabs(unrotated[static_cast<size_t>(d)]);
    for (double& l1 : r.q_block_l1) l1 /= std::sqrt(32.0);
  }
  r.bias.resize(static_cast<size_t>(c.shape.lk));
  for (int64_t j = 0; j < c.shape.lk; ++j) r.bias[static_cast<size_t>(j)] = c.bias(i, j);
  r.slope = c.slope(h);
  if (c.has_sinks()) r.sink = c.sinks[static_cast<size_t>(h)];
  return r;
}

}  // namespace flashcheck::oracle_detail
