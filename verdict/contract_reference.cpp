#include "verdict/contract_reference.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace flashcheck {
namespace {

// Rounds every result to the accumulation format. Each operation is evaluated in
// double first: for + - * / of f32/f16/bf16 operands that double result rounds to the
// correctly rounded one (double has more than 2p + 2 bits), and exp / log / tanh are
// then correctly rounded up to a double rounding, better than any real kernel's.
class Arithmetic {
 public:
  explicit Arithmetic(DType t) : format_(traits(t).format), is_f32_(t == DType::f32) {}
  // fp32 rounds through the hardware conversion (the common case, and much faster).
  double r(double x) const { return is_f32_ ? static_cast<double>(static_cast<float>(x)) : format_.round_nearest_even(x); }
  double add(double a, double b) const { return r(a + b); }
  double sub(double a, double b) const { return r(a - b); }
  double mul(double a, double b) const { return r(a * b); }
  double div(double a, double b) const { return r(a / b); }
  double exp(double a) const { return r(std::exp(a)); }
  double log(double a) const { return r(std::log(a)); }
  double tanh(double a) const { return r(std::tanh(a)); }

 private:
  BinaryFormat format_;
  bool is_f32_;
};

struct RowState {
  double m = -std::numeric_limits<double>::infinity();
  double l = 0;
  std::vector<double> acc;
  std::vector<double> squares;  // sum (p v)^2 per column, rescaled with acc (in double)
  bool any = false;
};

// One online-softmax step for a term of score s and value row v (nullptr: a sink);
// the weight is rounded to the operand precision before the P V product.
void absorb(const Arithmetic& a, const Arithmetic& op, RowState& st, double s, const double* v) {
  if (!st.any || s > st.m) {
    const double alpha = st.any ? a.exp(a.sub(st.m, s)) : 0.0;
    st.l = a.mul(st.l, alpha);
    for (double& x : st.acc) x = a.mul(x, alpha);
    for (double& x : st.squares) x *= alpha * alpha;
    st.m = s;
    st.any = true;
  }
  const double p = a.exp(a.sub(s, st.m));
  st.l = a.add(st.l, p);
  if (v)
    for (size_t c = 0; c < st.acc.size(); ++c) st.acc[c] = a.add(st.acc[c], a.mul(op.r(p), v[c]));
  if (v)
    for (size_t c = 0; c < st.squares.size(); ++c) st.squares[c] += (p * v[c]) * (p * v[c]);
}

}  // namespace

RunOutput contract_reference(const AttentionCase& c, DType accumulation) {
  return contract_reference(c, accumulation, accumulation);
}

RunOutput contract_reference(const AttentionCase& c, DType operands, DType accumulation,
                             std::vector<double>* weighted_v_rms) {
  const Arithmetic a(accumulation), op(operands);
  auto round_all = [&](std::vector<double>& xs) {
    for (double& x : xs) x = op.r(x);
  };
  const auto& s = c.shape;
  RunOutput out;
  out.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
  out.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
  if (weighted_v_rms) weighted_v_rms->assign(static_cast<size_t>(s.batch * s.hq * s.lq * s.dv), 0.0);
  const Tensor& q_in = c.oracle_q();
  std::vector<double> q(static_cast<size_t>(s.dk)), k(static_cast<size_t>(s.dk)), v(static_cast<size_t>(s.dv));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.hq; ++h) {
      const int64_t hk = c.kv_head(h);
      const double slope = c.slope(h);
      for (int64_t i = 0; i < s.lq; ++i) {
        q_in.read_row(b, h, i, q.data());
        round_all(q);
        RowState st;
        st.acc.assign(static_cast<size_t>(s.dv), 0.0);
        if (weighted_v_rms) st.squares.assign(static_cast<size_t>(s.dv), 0.0);
        for (int64_t j = 0; j < s.lk; ++j) {
          const double bias = c.bias(i, j);
          if (bias == -std::numeric_limits<double>::infinity()) continue;
          c.k.read_row(b, hk, j, k.data());
          round_all(k);
          double dot = 0;
          for (int64_t d = 0; d < s.dk; ++d) dot = a.add(dot, a.mul(q[static_cast<size_t>(d)], k[static_cast<size_t>(d)]));
          double score = a.mul(dot, c.scale);
          if (c.softcap > 0.0f) score = a.mul(c.softcap, a.tanh(a.div(score, c.softcap)));
          // The additive mask enters in the operand type too (ggml passes an f16 mask).
          if (bias != 0.0) score = a.add(score, a.mul(slope, op.r(bias)));
          c.v.read_row(b, hk, j, v.data());
          round_all(v);
          absorb(a, op, st, score, v.data());
        }
        if (c.has_sinks()) absorb(a, op, st, c.sinks[static_cast<size_t>(h)], nullptr);
        const auto row = static_cast<size_t>((b * s.hq + h) * s.lq + i);
        if (!st.any) {
          out.lse[row] = -std::numeric_limits<float>::infinity();
          for (int64_t col = 0; col < s.dv; ++col) out.o.set(b, h, i, col, 0.0);
          continue;
        }
        for (int64_t col = 0; col < s.dv; ++col) out.o.set(b, h, i, col, a.div(st.acc[static_cast<size_t>(col)], st.l));
        if (weighted_v_rms)
          for (int64_t col = 0; col < s.dv; ++col)
            (*weighted_v_rms)[row * static_cast<size_t>(s.dv) + static_cast<size_t>(col)] =
                std::sqrt(st.squares[static_cast<size_t>(col)]) / st.l;
        out.lse[row] = static_cast<float>(a.add(st.m, a.log(st.l)));
      }
    }
  return out;
}

}  // namespace flashcheck
