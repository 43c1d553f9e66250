// Contracts: the table, what each backend declares, which cases lie outside a contract,
// and the contract budget (verdict/contract_budget.hpp): a kernel doing exactly a
// contract's arithmetic passes it, a coarser one fails the finer contract.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "core/contract.hpp"
#include "core/generator.hpp"
#include "impls/builtin_backends.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/support/random_recipe.hpp"
#include "verdict/contract_budget.hpp"
#include "verdict/contract_reference.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

OracleResult oracle_of(const AttentionCase& c) {
  OracleOptions o;
  o.out_type = c.o_type;
  return run_oracle(c, o);
}

TEST(ContractTable, NamesAreUniqueAndTheDefaultIsFp32) {
  std::set<std::string> names;
  for (const Contract& c : all_contracts()) {
    EXPECT_TRUE(names.insert(std::string(c.name)).second) << c.name;
    EXPECT_FALSE(c.description.empty()) << c.name;
    EXPECT_GT(c.reference_factor, 1.0) << c.name;
    EXPECT_EQ(&contract_named(c.name), &c);
  }
  EXPECT_EQ(default_contract().name, "fp32");
  EXPECT_EQ(default_contract().accumulation, DType::f32);
  EXPECT_EQ(default_contract().fully_masked, MaskedRowPolicy::zeros_neg_inf_lse);
  EXPECT_EQ(default_contract().lse_base, LseBase::natural);
}

TEST(ContractTable, UnknownNameIsAClearError) {
  EXPECT_EQ(find_contract("fp64"), nullptr);
  try {
    (void)contract_named("fp64");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown contract 'fp64'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fp16-accumulation"), std::string::npos) << e.what();
  }
}

// Every subject names a contract that exists, and says why when it is not the default.
TEST(ContractTable, EveryBackendDeclaresAKnownContract) {
  const Registry& registry = builtin_registry();
  for (const std::string& name : registry.names()) {
    const auto backend = registry.make(name);
    ASSERT_TRUE(backend) << name;
    const Capabilities caps = backend->capabilities();
    EXPECT_NE(find_contract(caps.contract), nullptr) << name << " declares " << caps.contract;
    EXPECT_EQ(caps.contract == "fp32", caps.contract_note.empty()) << name << ": " << caps.contract_note;
  }
}

CaseRecipe small_recipe(const std::string& dist, const std::string& mask, uint64_t seed) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = 8, .lk = 40, .dk = 32, .dv = 32};
  r.distribution = dist;
  r.mask = mask;
  r.seed = seed;
  return r;
}

TEST(OutsideContract, NonFiniteKvOnlyMattersWhereMaskedKvAreRead) {
  const AttentionCase special = generate(small_recipe("special", "causal", 3));
  EXPECT_FALSE(outside_contract(default_contract(), special));
  const auto why = outside_contract(contract_named("fp32-sentinel-mask"), special);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("inf or NaN"), std::string::npos) << *why;
  EXPECT_FALSE(outside_contract(contract_named("fp32-sentinel-mask"), generate(small_recipe("normal", "causal", 3))));
}

TEST(OutsideContract, LowFiniteBiasesAndHugeScoresUnderTheSentinelContract) {
  const Contract& sentinel = contract_named("fp16-operands-sentinel-mask");
  AttentionCase c = generate(small_recipe("normal", "random", 4));
  EXPECT_FALSE(outside_contract(sentinel, c)) << "the random mask's finite biases are small";
  c.mask->set(0, 0, 2, 5, -16.0);
  const auto low = outside_contract(sentinel, c);
  ASSERT_TRUE(low);
  EXPECT_NE(low->find("-0x1p+4"), std::string::npos) << *low;
  EXPECT_FALSE(outside_contract(default_contract(), c)) << "an ordinary bias for the default contract";

  const AttentionCase huge = generate(small_recipe("huge_scores", "none", 5));
  const auto big = outside_contract(sentinel, huge);
  ASSERT_TRUE(big);
  EXPECT_NE(big->find("beyond the 65504"), std::string::npos) << *big;
  EXPECT_FALSE(outside_contract(contract_named("fp16-operands"), huge));
}

// The contract budget is never looser than the analytic bound of the same precision.
TEST(ContractBudgetBound, NeverExceedsTheAnalyticBound) {
  const AttentionCase c = generate(small_recipe("normal", "causal", 6));
  const OracleResult r = oracle_of(c);
  const ContractBudget budget(c, r, default_contract());
  for (int64_t row = 0; row < c.shape.batch * c.shape.hq * c.shape.lq; ++row) {
    for (int64_t col = 0; col < c.shape.dv; ++col) {
      EXPECT_LE(budget.o(row, col), o_budget(c, r, row, col, {}));
      EXPECT_GT(budget.o(row, col), 0.0);
    }
    EXPECT_LE(budget.lse(row), lse_budget(c, r, row, {}));
  }
}

// The reference of each contract (zeros for fully masked rows, natural LSE) passes that
// contract on random small cases: the budget is met by the arithmetic it describes.
RC_GTEST_PROP(ContractBudgetBound, EachContractsReferencePassesIt, ()) {
  testing::RecipeSpace space;
  space.distributions = {"normal", "uniform", "flat", "peaked", "large_scores", "same_sign_v"};
  space.masks = {"none", "causal", "window", "random"};
  const CaseRecipe recipe = testing::random_recipe(space);
  const AttentionCase c = generate(recipe);
  const OracleResult r = oracle_of(c);
  for (const char* name : {"fp32", "fp16-operands", "fp16-accumulation", "bf16-accumulation"}) {
    const Contract& k = contract_named(name);
    const RunOutput ref = contract_reference(c, k.operands, k.accumulation);
    const Verdict v = judge(c, r, ref, k);
    RC_ASSERT_FALSE(std::isnan(v.worst_budget_ratio));
    if (!v.pass) RC_FAIL(std::string(name) + ": " + v.summary() + " on " + describe(recipe));
  }
}

// Long one-sign sums: the fp16 accumulator passes its own contract and fails fp32's; the
// fp32 reference passes both.
TEST(ContractBudgetBound, Fp16AccumulationFailsTheFp32ContractOnLongRows) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 1, .lk = 2048, .dk = 64, .dv = 64};
  r.k_type = r.v_type = DType::f32;
  r.distribution = "same_sign_v";
  r.seed = 7;
  const AttentionCase c = generate(r);
  const OracleResult oracle = oracle_of(c);
  const Contract& f16 = contract_named("fp16-accumulation");
  const RunOutput half = contract_reference(c, DType::f16, DType::f16);
  const RunOutput full = contract_reference(c, DType::f32, DType::f32);
  EXPECT_TRUE(judge(c, oracle, half, f16).pass) << judge(c, oracle, half, f16).summary();
  const Verdict strict = judge(c, oracle, half);
  EXPECT_FALSE(strict.pass);
  EXPECT_NE(strict.summary().find("exceed the fp32 contract's budget"), std::string::npos) << strict.summary();
  EXPECT_TRUE(judge(c, oracle, full).pass);
  EXPECT_TRUE(judge(c, oracle, full, f16).pass);
  EXPECT_GT(strict.reference_o_nmse, 0.0) << "the fp32 reference has a rounding error of its own";
}

// Large V overflow an fp16 accumulator in some order: those elements are beyond what the
// contract promises, counted and not judged; the fp32 contract judges them.
TEST(ContractBudgetBound, Fp16AccumulatorOverflowIsBeyondTheContractsRange) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 4, .lk = 64, .dk = 32, .dv = 32};
  r.distribution = "large_v";
  r.seed = 9;
  const AttentionCase c = generate(r);
  const OracleResult oracle = oracle_of(c);
  RunOutput overflowed = contract_reference(c, DType::f32, DType::f32);
  overflowed.o.set(0, 0, 1, 3, std::numeric_limits<double>::infinity());
  const Verdict f16 = judge(c, oracle, overflowed, contract_named("fp16-accumulation"));
  EXPECT_TRUE(f16.pass) << f16.summary();
  EXPECT_GE(f16.beyond_contract_range, 1);
  EXPECT_FALSE(judge(c, oracle, overflowed).pass);
}

}  // namespace
}  // namespace flashcheck
