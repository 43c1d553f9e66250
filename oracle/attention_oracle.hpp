#pragma once
// The exact attention oracle. For every output element it returns the value of
// the real-number attention function of the case's exact inputs, correctly
// rounded to the requested dtype, plus a high-precision approximation for error
// measurement and the per-element quantities budgets are derived from.
//
// Method: each row is evaluated in double-double arithmetic with a rigorous
// running error bound; an element whose bound interval straddles a rounding
// boundary of the target format is re-evaluated in MPFR at growing precision, and
// a result that stays ambiguous is decided exactly (see docs/oracle.md).
#include <cstdint>
#include <vector>

#include "core/attention_case.hpp"

namespace flashcheck {

struct OracleOptions {
  FullyMaskedPolicy fully_masked = FullyMaskedPolicy::zeros_neg_inf_lse;
  DType out_type = DType::f32;  // rounding target of O (LSE is always f32)
  int threads = 0;              // 0: hardware concurrency
  bool escalate = true;         // false: report ambiguous elements instead of resolving them
};

struct OracleStats {
  int64_t rows = 0;
  int64_t elements = 0;             // O elements plus LSE elements
  int64_t escalated_elements = 0;   // left open by the double-double tier (exact tiers or MPFR decided them)
  int64_t exact_path_elements = 0;  // decided by the exact tier: a rational value, or the side of a midpoint
  int64_t unresolved_elements = 0;  // still ambiguous (only with escalate = false)
  double escalation_rate() const { return elements ? double(escalated_elements) / double(elements) : 0.0; }
};

struct OracleResult {
  // All arrays row-major: O is [batch][hq][lq][dv], per-row arrays are [batch][hq][lq].
  std::vector<float> o;           // correctly rounded to out_type (values held in float)
  std::vector<float> lse;         // correctly rounded to f32; -inf for rows with no visible key
  std::vector<double> o_exact;    // nearest double to the exact value
  std::vector<double> lse_exact;
  // Quantities from which error budgets are derived:
  std::vector<double> v_scale;        // [.. dv]: max |v_jc| over visible keys
  std::vector<double> abs_weighted_v; // [.. dv]: sum_j p_j |v_jc|  (p = softmax weights)
  std::vector<double> score_abs_max;  // per row: max over visible j of |scale| * sum_d |q_d k_jd|
  std::vector<double> score_spread;   // per row: sum_j p_j |s_j - max_s|
  std::vector<double> max_abs_score;  // per row: max |s_j| over visible keys (after softcap/bias)
  // per row, Hadamard-rotated K only (else 0): max over visible j of
  // |scale| * sum_blocks (|q_blk|_1 / sqrt(32)) * |k_j,blk|_1, Q unrotated
  std::vector<double> rotation_dot_scale;
  std::vector<int64_t> visible_keys;  // per row: number of keys not masked
  std::vector<uint8_t> fully_masked;  // per row: 1 when no key (nor sink) is visible
  OracleStats stats;
};

OracleResult run_oracle(const AttentionCase& c, const OracleOptions& opts = {});

}  // namespace flashcheck
