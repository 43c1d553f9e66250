// The log-sum-exp a subject returns equals log(sum_j exp(s_j)) (the sink's exp(S) added)
// within the verdict's LSE budget, on every subject that returns one: checked row by row
// against the oracle's exact LSE, on random cases with sinks, ALiBi, soft-capping, masks
// and quantized K/V wherever the subject supports them.
#include <cmath>
#include <fmt/format.h>
#include <numbers>

#include "props/test_metamorphic_support.hpp"
#include "verdict/contract_budget.hpp"

namespace flashcheck::metamorphic {
namespace {

class LogSumExp : public SubjectProperty {};

TEST_P(LogSumExp, holds) {
  if (!subject().caps.lse) GTEST_SKIP() << GetParam() << " returns no LSE";
  check([this] {
    CaseSpace space;
    space.kv = KvStorage::either;
    space.hadamard = *rc::gen::arbitrary<bool>();
    const AttentionCase c = generate(draw_recipe(subject(), space));
    discard_outside_contract(subject(), c);
    const RunOutput out = run_or_discard(backend(), c);
    if (out.lse.empty()) fail_with_case(subject(), c, "declares an LSE output but returned none");
    const OracleResult oracle = oracle_of(c);
    const Contract& contract = *subject().contract;
    const ContractBudget budget(c, oracle, contract);
    // A base-2 LSE is the natural one times log2(e), and so is its budget.
    const double unit = contract.lse_base == LseBase::two ? std::numbers::log2e : 1.0;
    const CaseShape& s = c.shape;
    for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
      const auto r = static_cast<size_t>(row);
      const double got = out.lse[r];
      const std::string where = fmt::format("LSE[b={} h={} i={}]", row / (s.lq * s.hq), (row / s.lq) % s.hq, row % s.lq);
      if (oracle.fully_masked[r]) {
        // Every policy that promises something gives LSE = log(0) = -inf.
        if (contract.fully_masked != MaskedRowPolicy::unspecified && got != -INFINITY)
          fail_with_case(subject(), c, fmt::format("{} of a row with no visible key: got {}, expected -inf", where,
                                                   value_text(got)));
        continue;
      }
      const double exact = oracle.lse_exact[r] * unit;
      if (!std::isfinite(got) && budget.lse_beyond_range(row)) continue;  // the contract's own arithmetic overflows
      const double allowed = budget.lse(row) * unit;
      if (!(std::fabs(got - exact) <= allowed))
        fail_with_case(subject(), c,
                       fmt::format("{}: got {}, exact {}, |error| {} exceeds the {} contract's budget {}", where,
                                   value_text(got), value_text(exact),
                                   value_text(std::fabs(got - exact)), contract.name, value_text(allowed)));
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Metamorphic, LogSumExp, ::testing::ValuesIn(registered_subjects()), subject_test_name);

}  // namespace
}  // namespace flashcheck::metamorphic
