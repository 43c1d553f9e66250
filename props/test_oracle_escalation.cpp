// The escalation machinery: what the double-double pass cannot decide is exactly
// what escalation resolves. Without escalation those elements are reported as
// unresolved; with it, none may remain.
#include <gtest/gtest.h>

#include <string>

#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"

namespace flashcheck {
namespace {

struct EscalationTotals {
  int64_t escalated = 0, exact = 0, cases = 0;
};

// Flat and same-sign distributions produce means that sit on (or next to) rounding
// boundaries; large scores stress the score error bound.
void check_family(const std::string& distribution, const std::string& mask, EscalationTotals& totals) {
  for (DType out : {DType::f32, DType::f16, DType::bf16})
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      CaseRecipe r;
      constexpr int64_t kKeys[] = {2, 3, 4, 6, 8, 16};  // powers of two make exact means likely
      r.shape = {1, 2, 1, 4, kKeys[seed - 1], 8, 16};
      r.distribution = distribution;
      r.mask = mask;
      r.v_type = seed % 2 ? DType::f16 : DType::f32;
      r.o_type = out;
      r.sinks = seed % 3 == 0;
      r.seed = seed;
      const AttentionCase c = generate(r);
      OracleOptions opts;
      opts.out_type = out;
      opts.threads = 1;
      opts.escalate = true;
      const OracleResult resolved = run_oracle(c, opts);
      opts.escalate = false;
      const OracleResult reported = run_oracle(c, opts);
      SCOPED_TRACE(describe(r));
      EXPECT_EQ(resolved.stats.unresolved_elements, 0);
      EXPECT_GE(reported.stats.unresolved_elements, resolved.stats.escalated_elements);
      EXPECT_EQ(reported.stats.escalated_elements, 0);
      EXPECT_EQ(reported.stats.exact_path_elements, 0);
      // Elements the first pass decided are the same either way: only unresolved ones may differ.
      int64_t differing = 0;
      for (size_t n = 0; n < resolved.o.size(); ++n) differing += resolved.o[n] != reported.o[n];
      for (size_t n = 0; n < resolved.lse.size(); ++n) differing += resolved.lse[n] != reported.lse[n];
      EXPECT_LE(differing, reported.stats.unresolved_elements);
      totals.escalated += resolved.stats.escalated_elements;
      totals.exact += resolved.stats.exact_path_elements;
      ++totals.cases;
    }
}

TEST(OracleEscalation, UnescalatedRunReportsEveryElementEscalationResolves) {
  EscalationTotals totals;
  check_family("same_sign_v", "none", totals);
  check_family("flat", "causal", totals);
  check_family("large_scores", "random", totals);
  check_family("normal", "none", totals);
  // The families above must actually exercise escalation, or the checks prove nothing.
  EXPECT_GT(totals.escalated, 0) << "over " << totals.cases << " cases";
  EXPECT_GT(totals.exact, 0) << "over " << totals.cases << " cases";
}

}  // namespace
}  // namespace flashcheck
