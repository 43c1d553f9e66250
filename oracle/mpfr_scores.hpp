#pragma once
// Scores of one row's visible keys in MPFR at a given precision, each with an
// absolute error bound; shared by the escalation and near-midpoint tiers.
#include <cstdint>
#include <vector>

#include "oracle/mpfr_value.hpp"
#include "oracle/row_eval.hpp"

namespace flashcheck::oracle_detail {

struct MpfrScores {
  std::vector<int64_t> keys;  // visible keys in order
  std::vector<Mpfr> s;        // their scores
  std::vector<double> err;    // absolute error bounds of s
  Mpfr m;                     // the largest score (or the sink), the softmax shift
  bool ok = false;            // false: no visible key nor sink, or a non-finite score
  explicit MpfrScores(long precision) : m(precision) {}
};

MpfrScores mpfr_scores(const RowInput& in, long precision);

// The exact score of key j into out (whose precision must be >= kExactScorePrec)
// when it is rational (no softcap, or a zero softcap argument); false when it is
// transcendental or not finite.
inline constexpr long kExactScorePrec = 4096;  // holds any sum of products of doubles exactly
bool exact_score(const RowInput& in, int64_t j, mpfr_ptr out);
// The exact parts of key j's score: scale * dot(q, k_j) and slope * bias; false when
// either is not exact at kExactScorePrec (both outputs need that precision).
bool exact_score_parts(const RowInput& in, int64_t j, mpfr_ptr scaled_dot, mpfr_ptr bias_term);

// Upper bound of |x| as a double.
inline double abs_upper(mpfr_srcptr x) {
  const double d = mpfr_get_d(x, MPFR_RNDA);
  return d < 0 ? -d : d;
}

}  // namespace flashcheck::oracle_detail
