#pragma once
// Absolute rules that run the subject again: properties every correct kernel has
// whatever its precision, checked by changing what must not matter and comparing.
//   masked keys have no influence: K/V at keys the mask hides from a row can be
//     anything without changing that row's O and LSE by a single bit;
//   rerun determinism: the same input gives the same bits;
//   thread independence: another worker-thread count gives results within the
//     verdict's budget of each other (and, for the subjects here, the same bits).
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {

struct RuleResult {
  std::string rule;         // one of the kRule* names
  bool holds = true;
  bool applicable = true;   // false: the rule could not be checked here (detail says why); holds stays true
  std::string detail;       // what was run and compared; the first difference in decimal and %a
  int runs = 0;             // subject runs the check took
};

inline constexpr const char* kRuleMaskedKeys = "masked keys have no influence";
inline constexpr const char* kRuleRerun = "rerun determinism";
inline constexpr const char* kRuleThreads = "thread independence";

struct AbsoluteRuleOptions {
  // The contract lets the kernel read K/V at masked keys and multiply them by a zero
  // weight (tile matmuls over masked keys): only finite values are written there then.
  // Otherwise NaN and infinities are written too, which must not reach O either.
  bool masked_kv_may_be_read = false;
  // The two worker-thread counts compared (Backend::set_threads).
  int threads_a = 1, threads_b = 3;
  BudgetParams budget;                   // the budget two thread counts must agree within
  const OracleResult* oracle = nullptr;  // the case's oracle for that budget; computed when needed and absent
  int oracle_threads = 0;
};

// Garbage written at the keys hidden from every row, then at the keys hidden from the row
// that hides the most (check_keys_have_no_influence on each set).
RuleResult check_masked_keys_have_no_influence(Backend& b, const AttentionCase& c, const RunOutput& first_run,
                                               const AbsoluteRuleOptions& o = {});
// The check on one set of keys: large finite K and V written there, then K = 0 (a leaked
// score is 0, so a leaked key always carries weight) with large V, then NaN and
// infinities (unless finite_only, or o.masked_kv_may_be_read, or K/V are both
// block-quantized). The rows that see a key and hide every one of `keys` must keep O and
// LSE bit for bit. Not applicable when no row does, or when the case already stores
// non-finite K/V at those keys and the contract lets the kernel read them.
RuleResult check_keys_have_no_influence(Backend& b, const AttentionCase& c, const RunOutput& first_run,
                                        const std::vector<int64_t>& keys, const AbsoluteRuleOptions& o,
                                        bool finite_only);
RuleResult check_rerun_determinism(Backend& b, const AttentionCase& c, const RunOutput& first_run);
// Leaves the subject at set_threads(0) (the hardware concurrency) afterwards. Not
// applicable when the subject has no thread count to choose.
RuleResult check_thread_independence(Backend& b, const AttentionCase& c, const AbsoluteRuleOptions& o = {});

// All three, in the order above. first_run is the subject's output on c.
std::vector<RuleResult> check_absolute_rules(Backend& b, const AttentionCase& c, const RunOutput& first_run,
                                             const AbsoluteRuleOptions& o = {});

// One line: "<rule>: holds|BROKEN|not applicable: <detail>".
std::string describe(const RuleResult& r);

}  // namespace flashcheck
