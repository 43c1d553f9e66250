#pragma once
// The obvious attention loop, written plainly as a baseline for the oracle's cost:
// scores, max, exp, sums, O, in one floating type, no compensation, no masking.
#include <cstdint>
#include <vector>

namespace flashcheck::bench {

// One (batch, head) slice, decoded to doubles, row-major: q [lq][dk], k [lk][dk], v [lk][dv].
struct DecodedHead {
  int64_t lq = 0, lk = 0, dk = 0, dv = 0;
  double scale = 1.0;
  std::vector<double> q, k, v;
};

template <class Real>
struct NaiveOutput {
  std::vector<Real> o;    // [lq][dv]
  std::vector<Real> lse;  // [lq]
};

template <class Real>
NaiveOutput<Real> naive_attention(const DecodedHead& in);

extern template NaiveOutput<double> naive_attention<double>(const DecodedHead&);
extern template NaiveOutput<long double> naive_attention<long double>(const DecodedHead&);

}  // namespace flashcheck::bench
