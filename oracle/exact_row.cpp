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
#include <cstring>
#include <unordered_map>
#include <cmath>
#include <limits>
#include <vector>

#include "oracle/mpfr_scores.hpp"
#include "oracle/mpfr_value.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {
namespace {

constexpr long kExactPrec = kExactScorePrec;

// Hash of a K row and its bias, to find bit-identical rows.
uint64_t row_hash(const double* row, int64_t n, double bias) {
  auto word = [](double x) {
    uint64_t w;
    std::memcpy(&w, &x, sizeof w);
    return w;
  };
  uint64_t h = word(bias) ^ 0x9E3779B97F4A7C15ull;
  for (int64_t d = 0; d < n; ++d) h = (h ^ word(row[d])) * 0xFF51AFD7ED558CCDull;  // multiply-xor mixing per word
  return h ^ (h >> 32);
}

// Sum of one V column over the given keys, exactly. Storage values have few bits, so
// a double sum is usually exact; TwoSum proves it, and MPFR takes over otherwise.
void exact_sum(mpfr_ptr out, const std::vector<int64_t>& keys, const KvGroup& kv, int64_t col) {
  double acc = 0.0;
  bool exact = true;
  for (int64_t j : keys) {
    const double x = kv.v[static_cast<size_t>(j * kv.dv + col)];
    const double s = acc + x;
    const double bb = s - acc;
    exact = exact && ((acc - (s - bb)) + (x - bb)) == 0.0 && std::isfinite(s);
    acc = s;
  }
  if (exact) {
    mpfr_set_d(out, acc, MPFR_RNDN);
    return;
  }
  mpfr_set_zero(out, 1);
  for (int64_t j : keys) mpfr_add_d(out, out, kv.v[static_cast<size_t>(j * kv.dv + col)], MPFR_RNDN);
}

}  // namespace

ExactDecision decide_exactly(const RowInput& in, const std::vector<int64_t>& columns, bool want_lse,
                             const BinaryFormat& o_format) {
  const KvGroup& kv = *in.kv;
  ExactDecision out;
  out.o.assign(columns.size(), std::nullopt);

  // A key's identity: its exact score without softcap; with softcap the pair
  // (scale*dot, slope*bias), equal pairs giving equal scores (the sink is (0, S), the
  // identity of a key whose tanh argument is 0). Equal identities imply equal
  // weights, which is all the equal-means argument needs.
  const bool capped = in.c->softcap > 0;
  struct Identity {
    Mpfr a{kExactPrec}, b{kExactPrec};
  };
  std::vector<Identity> distinct;            // one per distinct (K row, bias), plus the sink
  std::vector<std::pair<size_t, int64_t>> members;  // (distinct index, key or -1 for the sink)
  // Keys with bit-identical K rows and bias share a score: compute it once (the
  // flat-softmax family has a single distinct row).
  std::unordered_map<uint64_t, std::vector<std::pair<size_t, int64_t>>> seen;  // hash -> (distinct, a key)
  auto same_row = [&](int64_t j1, int64_t j2) {
    return in.bias[static_cast<size_t>(j1)] == in.bias[static_cast<size_t>(j2)] &&
           std::memcmp(kv.k.data() + j1 * kv.dk, kv.k.data() + j2 * kv.dk, static_cast<size_t>(kv.dk) * sizeof(double)) == 0;
  };
  for (int64_t j = 0; j < kv.lk; ++j) {
    if (in.bias[static_cast<size_t>(j)] == -std::numeric_limits<double>::infinity()) continue;
    auto& bucket = seen[row_hash(kv.k.data() + j * kv.dk, kv.dk, in.bias[static_cast<size_t>(j)])];
    const auto twin = std::find_if(bucket.begin(), bucket.end(), [&](const auto& e) { return same_row(e.second, j); });
    if (twin != bucket.end()) {
      members.emplace_back(twin->first, j);
      continue;
    }
    Identity id;
    if (!exact_score_parts(in, j, id.a, id.b)) return out;
    if (!capped) {
      mpfr_add(id.a, id.a, id.b, MPFR_RNDN);  // exact at this precision
      mpfr_set_zero(id.b, 1);
    }
    bucket.emplace_back(distinct.size(), j);
    members.emplace_back(distinct.size(), j);
    distinct.push_back(std::move(id));
  }
  if (in.sink) {
    Identity id;
    mpfr_set_d(capped ? id.b : id.a, *in.sink, MPFR_RNDN);
    mpfr_set_zero(capped ? id.a : id.b, 1);
    members.emplace_back(distinct.size(), -1);
    distinct.push_back(std::move(id));
  }
  if (distinct.empty()) return out;
  // Merge equal identities by sorting (n log n comparisons instead of n^2).
  std::vector<size_t> order(distinct.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto less = [&](size_t x, size_t y) {
    const int ca = mpfr_cmp(distinct[x].a, distinct[y].a);
    return ca != 0 ? ca < 0 : mpfr_cmp(distinct[x].b, distinct[y].b) < 0;
  };
  std::sort(order.begin(), order.end(), less);
  std::vector<size_t> group_of(distinct.size());
  std::vector<size_t> representative;  // per group: a distinct index
  for (size_t i : order) {
    if (representative.empty() || less(representative.back(), i)) representative.push_back(i);
    group_of[i] = representative.size() - 1;
  }
  struct Group {
    int64_t count = 0;
    std::vector<int64_t> keys;
  };
  std::vector<Group> groups(representative.size());
  for (const auto& [d, key] : members) {
    Group& g = groups[group_of[d]];
    ++g.count;
    if (key >= 0) g.keys.push_back(key);
  }
  // A single key's LSE is its score: rational without softcap or at a zero argument.
  const Identity& only = distinct[representative[0]];
  const bool lse_rational = groups.size() == 1 && groups[0].count == 1 && (!capped || mpfr_zero_p(only.a.get()));

  Mpfr sum(kExactPrec), lhs(kExactPrec), rhs(kExactPrec), first(kExactPrec), q(kExactPrec + 64);
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    const int64_t col = columns[ci];
    bool same_mean = true;
    int64_t first_count = 0;
    for (size_t gi = 0; gi < groups.size() && same_mean; ++gi) {
      mpfr_set_zero(sum, 1);
      exact_sum(sum, groups[gi].keys, kv, col);
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

  if (want_lse && lse_rational) {
    Mpfr score(kExactPrec);
    mpfr_add(score, only.a, only.b, MPFR_RNDN);  // exact
    out.lse = round_to_format(score, kFormatF32);
  }
  return out;
}

}  // namespace flashcheck::oracle_detail
