// The exact argument, for elements whose value is rational and may sit exactly on
// a rounding boundary (where no finite precision settles the question).
//
// Group the visible keys (and the sink, a key whose V row is zero) by exact score.
// O_c = sum_g e^{s_g} S_gc / sum_g e^{s_g} n_g, with n_g keys and V-column sum S_gc
// in group g. If every group has the same mean mu = S_gc / n_g, then O_c = mu
// exactly, whatever the weights. (Conversely, by Lindemann-Weierstrass, distinct
// rational scores give exponentials linearly independent over the rationals, so O_c
// is irrational otherwise and Ziv's iteration terminates.) The LSE is rational only
// for a single visible key with a rational score: LSE = that score.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "oracle/mpfr_scores.hpp"
#include "oracle/mpfr_value.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {
namespace {

constexpr long kExactPrec = 4096;  // holds any sum of products of doubles exactly

}  // namespace

ExactDecision decide_exactly(const RowInput& in, const std::vector<int64_t>& columns, bool want_lse,
                             const BinaryFormat& o_format) {
  const KvGroup& kv = *in.kv;
  ExactDecision out;
  out.o.assign(columns.size(), std::nullopt);

  struct Group {
    Mpfr score{kExactPrec};
    int64_t count = 0;
    std::vector<int64_t> keys;
    bool is_sink = false;
  };
  std::vector<Group> groups;
  auto join = [&](mpfr_srcptr s, int64_t key, bool sink) {
    for (auto& g : groups)
      if (mpfr_equal_p(g.score, s)) {
        ++g.count;
        if (!sink) g.keys.push_back(key);
        return;
      }
    Group g;
    mpfr_set(g.score, s, MPFR_RNDN);
    g.count = 1;
    if (!sink) g.keys.push_back(key);
    g.is_sink = sink;
    groups.push_back(std::move(g));
  };
  Mpfr s(kExactPrec);
  for (int64_t j = 0; j < kv.lk; ++j) {
    if (in.bias[static_cast<size_t>(j)] == -std::numeric_limits<double>::infinity()) continue;
    if (!exact_score(in, j, s)) return out;  // a transcendental score: nothing to decide here
    join(s, j, false);
  }
  if (in.sink) {
    mpfr_set_d(s, *in.sink, MPFR_RNDN);
    join(s, -1, true);
  }
  if (groups.empty()) return out;

  Mpfr sum(kExactPrec), lhs(kExactPrec), rhs(kExactPrec), first(kExactPrec), q(kExactPrec + 64);
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    const int64_t col = columns[ci];
    bool same_mean = true;
    int64_t first_count = 0;
    for (size_t gi = 0; gi < groups.size() && same_mean; ++gi) {
      mpfr_set_zero(sum, 1);
      for (int64_t j : groups[gi].keys) mpfr_add_d(sum, sum, kv.v[static_cast<size_t>(j * kv.dv + col)], MPFR_RNDN);
      if (gi == 0) {
        mpfr_set(first, sum, MPFR_RNDN);
        first_count = groups[gi].count;
      } else {
        // S_g / n_g == S_0 / n_0  <=>  S_g * n_0 == S_0 * n_g (all exact at this precision)
        mpfr_mul_si(lhs, sum, first_count, MPFR_RNDN);
        mpfr_mul_si(rhs, first, groups[gi].count, MPFR_RNDN);
        same_mean = mpfr_equal_p(lhs, rhs);
      }
    }
    if (!same_mean) continue;
    // The mean is a rational with a small denominator: if it is a rounding midpoint it
    // is exact at this precision, and if not it cannot lie within 2^-4096 of one.
    mpfr_div_si(q, first, first_count, MPFR_RNDN);
    out.o[ci] = round_to_format(q, o_format);
  }

  if (want_lse && groups.size() == 1 && groups[0].count == 1) out.lse = round_to_format(groups[0].score, kFormatF32);
  return out;
}

}  // namespace flashcheck::oracle_detail
