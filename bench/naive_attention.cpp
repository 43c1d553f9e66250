#include "bench/naive_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace flashcheck::bench {

template <class Real>
NaiveOutput<Real> naive_attention(const DecodedHead& in) {
  const auto lq = static_cast<size_t>(in.lq), lk = static_cast<size_t>(in.lk);
  const auto dk = static_cast<size_t>(in.dk), dv = static_cast<size_t>(in.dv);
  NaiveOutput<Real> out;
  out.o.assign(lq * dv, Real(0));
  out.lse.assign(lq, Real(0));
  std::vector<Real> p(lk);
  for (size_t i = 0; i < lq; ++i) {
    Real max = -std::numeric_limits<Real>::infinity();
    for (size_t j = 0; j < lk; ++j) {
      Real dot = 0;
      for (size_t d = 0; d < dk; ++d) dot += Real(in.q[i * dk + d]) * Real(in.k[j * dk + d]);
      p[j] = Real(in.scale) * dot;
      max = std::max(max, p[j]);
    }
    Real sum = 0;
    for (size_t j = 0; j < lk; ++j) {
      p[j] = std::exp(p[j] - max);
      sum += p[j];
    }
    Real* o = out.o.data() + i * dv;
    for (size_t j = 0; j < lk; ++j)
      for (size_t c = 0; c < dv; ++c) o[c] += p[j] * Real(in.v[j * dv + c]);
    for (size_t c = 0; c < dv; ++c) o[c] /= sum;
    out.lse[i] = max + std::log(sum);
  }
  return out;
}

template NaiveOutput<double> naive_attention<double>(const DecodedHead&);
template NaiveOutput<long double> naive_attention<long double>(const DecodedHead&);

}  // namespace flashcheck::bench
