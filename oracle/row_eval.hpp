#pragma once
// One row of attention (one query of one head) evaluated to an approximation with
// a rigorous absolute error bound per output element. Two evaluators share these
// types: double-double (the fast path) and MPFR at a chosen precision (escalation).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/attention_case.hpp"
#include "oracle/double_double.hpp"

namespace flashcheck::oracle_detail {

// K and V of one (batch, kv head), decoded once into doubles (exact: every storage
// type's values are doubles). Row-major [lk][dk] and [lk][dv].
struct KvGroup {
  int64_t lk = 0, dk = 0, dv = 0;
  int k_bits = 53, v_bits = 53;  // significand bits the stored values can have
  std::vector<double> k, v;
  std::vector<uint8_t> v_row_nonfinite;  // per key: V row holds inf or NaN
  // Hadamard-rotated K only: per key and block of 32, sum_d |k_jd| (for the budget of a
  // kernel's own Q rotation; see docs/tolerance.md).
  std::vector<double> k_block_l1;
  static KvGroup load(const AttentionCase& c, int64_t b, int64_t hkv);
};

// Everything about one query row that does not depend on the evaluator.
struct RowInput {
  const AttentionCase* c = nullptr;
  const KvGroup* kv = nullptr;
  int64_t b = 0, h = 0, i = 0;
  std::vector<double> q;     // [dk]
  int q_bits = 53;
  // Hadamard-rotated K only: per block of 32, sum_d |q_d| / sqrt(32) of the unrotated Q.
  std::vector<double> q_block_l1;
  std::vector<double> bias;  // [lk], -inf where hidden
  double slope = 1.0;
  std::optional<double> sink;
  static RowInput make(const AttentionCase& c, const KvGroup& kv, int64_t b, int64_t h, int64_t i);
};

// Non-finite outcome of a column forced by inf/NaN inputs at visible keys.
enum class Special : uint8_t { none, nan, pos_inf, neg_inf };

struct RowEval {
  bool fully_masked = false;     // no visible key and no sink
  bool nan_scores = false;       // a visible score is NaN or +inf: the whole row is NaN
  std::vector<dd::DD> o;         // approximations of O
  std::vector<double> o_err;     // absolute error bounds (inf: unknown, escalate)
  std::vector<Special> o_special;
  dd::DD lse;
  double lse_err = 0;
  // Budget quantities (approximate: a few ulps of double are irrelevant there).
  std::vector<double> abs_weighted_v, v_scale;
  double score_abs_max = 0, score_spread = 0, max_abs_score = 0;
  double rotation_dot_max = 0;  // max over visible j of |scale| sum_blocks q_block_l1 * k_block_l1
  int64_t visible = 0;
};

RowEval evaluate_row_dd(const RowInput& in);

// MPFR evaluation at `precision` bits of the selected columns (and LSE when asked).
// Returns approximations as exact MPFR-derived interval endpoints, already rounded
// to the target format: nullopt where the interval still straddles a rounding boundary.
struct MpfrDecision {
  std::vector<std::optional<double>> o;  // per requested column
  std::optional<double> lse;
  std::vector<double> o_approx;          // nearest double to the approximation
  double lse_approx = 0;
  bool evaluated = false;                // false: the row could not be evaluated (approximations unset)
};
MpfrDecision evaluate_row_mpfr(const RowInput& in, const std::vector<int64_t>& columns, bool want_lse, long precision,
                               const BinaryFormat& o_format);

// The exact argument for results that are rational (see docs/oracle.md): when every
// visible key's score is identical (or all groups of equal scores share one mean of
// V), O is that mean, computed and rounded exactly. nullopt when the element is not
// of that kind.
struct ExactDecision {
  std::vector<std::optional<double>> o;
  std::optional<double> lse;
};
ExactDecision decide_exactly(const RowInput& in, const std::vector<int64_t>& columns, bool want_lse,
                             const BinaryFormat& o_format);

// Sign of (O_c - mid) and of (LSE - mid) for a rounding midpoint mid of the target
// format, decided without forming O (see midpoint_row.cpp); nullopt if undecided.
std::optional<int> sign_o_minus(const RowInput& in, int64_t col, double mid, std::span<const long> precisions);
std::optional<int> sign_lse_minus(const RowInput& in, double mid, std::span<const long> precisions);

}  // namespace flashcheck::oracle_detail
