// The oracle against the independent 256-bit MPFR reference on small random cases
// drawn from every generator distribution and mask pattern: the correctly rounded
// O and LSE must agree bit for bit. Cases come from a RapidCheck-generated recipe,
// so a failure shrinks to the smallest recipe that still disagrees.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/support/mpfr_reference.hpp"
#include "props/support/random_recipe.hpp"

namespace flashcheck {
namespace {

// B <= 2, Hq <= 4 (Hkv | Hq), Lq <= 6, Lk <= 40, Dk, Dv <= 24, every option.
CaseRecipe any_small_recipe() {
  flashcheck::testing::RecipeSpace space;
  space.hkv_choices = {1, 2, 4};
  space.max_gqa_ratio = 1;  // Hq <= 4 with GQA ratios drawn by hkv below
  space.max_lk = 40;
  space.max_dk = space.max_dv = 24;
  space.scales = {1.0f, 0.3f, 0.125f, -0.5f};
  space.softcaps = {0.0f, 0.0f, 0.0f, 5.0f, 30.0f, 50.0f};
  space.max_biases = {0.0f, 0.0f, 1.0f, 8.0f};
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  space.max_seed = ~uint64_t{0};
  CaseRecipe r = flashcheck::testing::random_recipe(space);
  // Grouped-query ratio up to 4 / Hkv, as before: Hq in {Hkv, 2 Hkv, ...} <= 4.
  r.shape.hq = r.shape.hkv * *rc::gen::inRange<int64_t>(1, 4 / r.shape.hkv + 1);
  return r;
}

RC_GTEST_PROP(OracleVsMpfr, RoundedOutputsAreBitIdentical, ()) {
  const CaseRecipe recipe = any_small_recipe();
  const AttentionCase c = generate(recipe);
  const auto policy = *rc::gen::element(FullyMaskedPolicy::zeros_neg_inf_lse, FullyMaskedPolicy::nan);
  OracleOptions opts;
  opts.out_type = c.o_type;
  opts.fully_masked = policy;
  const OracleResult got = run_oracle(c, opts);
  reference::ReferenceResult want;
  try {
    want = reference::mpfr_reference(c, c.o_type, policy);
  } catch (const std::invalid_argument& e) {
    RC_FAIL("the generator produced a case outside the defined math: " + describe(recipe) + "\n" + e.what());
  }

  RC_CLASSIFY(got.stats.escalated_elements > 0, "oracle escalated");
  RC_CLASSIFY(got.stats.exact_path_elements > 0, "oracle exact path");
  RC_CLASSIFY(want.undecided_elements > 0, "reference undecided somewhere");
  RC_TAG(recipe.distribution);
  // Documented limit (docs/oracle.md): a softcap saturated by huge scores leaves score
  // differences near e^-100000, which neither side can resolve; both must say so.
  if (recipe.softcap > 0 && want.undecided_elements > 0 && got.stats.unresolved_elements > 0)
    RC_DISCARD("saturated softcap: undecidable by both oracle and reference");
  const std::string diff = reference::mismatches(want, c.shape, {got.o, got.lse, got.o_exact, got.lse_exact});
  if (!diff.empty() || got.stats.unresolved_elements != 0)
    RC_FAIL(describe(recipe) + "\noracle: " + std::to_string(got.stats.unresolved_elements) +
            " elements unresolved, " + std::to_string(got.stats.escalated_elements) + " escalated; reference: " +
            std::to_string(want.undecided_elements) + " undecided\n" + diff);
  RC_ASSERT(got.fully_masked == want.fully_masked);
}

}  // namespace
}  // namespace flashcheck
