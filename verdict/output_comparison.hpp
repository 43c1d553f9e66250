#pragma once
// Two runs of one subject on one case (a rerun, another thread count, a probe that must
// not change anything) compared with each other: bit for bit, NaN payloads included,
// or within the verdict's budget of each other.
#include <cstdint>
#include <functional>
#include <string>

#include "core/backend.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {

// Which rows a comparison covers, by row index (b * Hq + h) * Lq + i; empty: every row.
using RowFilter = std::function<bool(int64_t row)>;

struct OutputDifference {
  int64_t compared = 0;   // O and LSE elements compared
  int64_t differing = 0;  // of which the bits differ
  std::string first;      // the first differing element, values in decimal and %a
  bool identical() const { return differing == 0; }
};

// Bitwise: O elements in the storage encoding of O's dtype, LSE as f32 bits. Outputs of
// different shapes, dtypes or LSE presence differ everywhere.
OutputDifference bitwise_difference(const AttentionCase& c, const RunOutput& a, const RunOutput& b,
                                    const RowFilter& rows = {});

struct BudgetDifference {
  int64_t compared = 0;
  int64_t over = 0;        // elements further apart than their budget
  double worst_ratio = 0;  // max |a - b| / budget (inf for a non-finite mismatch)
  std::string worst;       // that element, values in decimal and %a
};

// |a - b| against the verdict's budget of each element (o_budget / lse_budget with p).
// Where either value is not finite, and in rows with no visible key, the two must hold
// the same value (NaN matching NaN).
BudgetDifference difference_beyond_budget(const AttentionCase& c, const OracleResult& oracle, const RunOutput& a,
                                          const RunOutput& b, const BudgetParams& p = {});

// "x (hex)" with 9 significant digits: how every value in a probe's evidence is printed.
std::string decimal_and_hex(double x);

}  // namespace flashcheck
