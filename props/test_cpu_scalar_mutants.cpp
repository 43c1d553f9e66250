// Every seeded bug of every cpu-scalar variant is killed by a named case on which the
// correct variant passes; the seed-004 bugs are shown to be flag-dependent: the same
// source passes under IEEE semantics and fails in the finite-math builds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "impls/cpu_scalar/cpu_scalar_backends.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "props/test_cpu_scalar_support.hpp"
#include "props/support/recipe_builders.hpp"

namespace flashcheck {
namespace {

using cpu_scalar::Mutant;
using cpu_scalar::Variant;
using cpu_scalar_testing::explain;
using cpu_scalar_testing::GradedCase;

using testing::recipe;
using testing::quantized;

// The named cases that kill the mutants.
const std::map<std::string, CaseRecipe>& kill_cases() {
  static const std::map<std::string, CaseRecipe> cases = [] {
    std::map<std::string, CaseRecipe> m;
    m["long-rows"] = recipe({1, 2, 2, 4, 256, 64, 64}, "normal", "none", 101);
    m["gqa-two-kv-heads"] = recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 102);
    m["causal-lq-below-lk"] = recipe({1, 2, 2, 4, 64, 64, 64}, "normal", "causal", 103);
    m["soa-mxfp8-two-kv-heads"] =
        quantized(recipe({1, 4, 2, 8, 64, 64, 64}, "normal", "none", 104), "mxfp8_e4m3", KvRowLayout::soa);
    m["aos-q4_0"] = quantized(recipe({1, 2, 2, 8, 64, 64, 64}, "normal", "none", 105), "ggml_q4_0", KvRowLayout::aos);
    m["special-hidden-keys"] = recipe({1, 2, 1, 8, 40, 64, 64}, "special", "causal", 106);
    m["alibi-random-mask"] = [] {
      CaseRecipe r = recipe({1, 4, 4, 16, 48, 64, 64}, "normal", "random", 107);
      r.max_bias = 8.0f;
      return r;
    }();
    m["window-rows"] = [] {
      CaseRecipe r = recipe({1, 4, 4, 16, 80, 64, 64}, "normal", "window", 108);
      r.window = 24;  // every row starts with hidden keys
      return r;
    }();
    m["aos-mxfp8"] = quantized(recipe({1, 2, 2, 8, 64, 64, 64}, "normal", "none", 109), "mxfp8_e4m3", KvRowLayout::aos);
    m["mxfp8-v-nan-scale"] = [] {
      CaseRecipe r = quantized(recipe({1, 2, 2, 8, 64, 64, 64}, "normal", "none", 110), "mxfp8_e4m3", KvRowLayout::soa);
      r.v_nan_scale = true;
      return r;
    }();
    return m;
  }();
  return cases;
}

// Which named case kills a (variant, mutant) pair.
std::string kill_case_of(Variant v, Mutant m) {
  const bool ieee_build = v == Variant::one_chunk || v == Variant::tiled || v == Variant::setrows;
  switch (m) {
    case Mutant::vkq16: return "long-rows";
    case Mutant::gqa_head_modulo: return "gqa-two-kv-heads";
    case Mutant::causal_offset: return "causal-lq-below-lk";
    case Mutant::soa_head_offset_twice: return "soa-mxfp8-two-kv-heads";
    case Mutant::nibble_order_swapped: return "aos-q4_0";
    // Under IEEE only non-finite values at hidden keys expose it; finite math breaks on finite data.
    case Mutant::inf_plus_slope_mask: return ieee_build ? "special-hidden-keys" : "alibi-random-mask";
    case Mutant::neg_inf_init: return "window-rows";
    case Mutant::mx_scale_round: return "aos-mxfp8";
    case Mutant::e8m0_ff_as_inf: return "mxfp8-v-nan-scale";
    case Mutant::none: break;
  }
  return "";
}

struct MutantCase {
  Variant variant;
  Mutant mutant;
};

std::vector<MutantCase> every_listed_mutant() {
  std::vector<MutantCase> out;
  for (Variant v : cpu_scalar::all_variants())
    for (Mutant m : cpu_scalar::variant_mutants(v)) out.push_back({v, m});
  return out;
}

std::string pair_name(const ::testing::TestParamInfo<MutantCase>& info) {
  std::string s = std::string(cpu_scalar::variant_name(info.param.variant)) + "_" +
                  cpu_scalar::mutant_info(info.param.mutant).name;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

class CpuScalarMutantKill : public ::testing::TestWithParam<MutantCase> {};

TEST_P(CpuScalarMutantKill, CorrectPassesAndMutantFailsOnItsCase) {
  const auto [variant, mutant] = GetParam();
  const std::string name = kill_case_of(variant, mutant);
  ASSERT_FALSE(name.empty()) << "no kill case for this mutant";
  SCOPED_TRACE("kill case " + name);
  GradedCase g(kill_cases().at(name));
  const std::string subject(cpu_scalar::variant_name(variant));
  const cli::CaseOutcome correct = g.grade(subject);
  EXPECT_EQ(correct.status, cli::CaseOutcome::Status::pass) << explain(correct);
  const cli::CaseOutcome broken = g.grade(backend_spec(subject, cpu_scalar::mutant_info(mutant).name));
  EXPECT_EQ(broken.status, cli::CaseOutcome::Status::fail) << explain(broken);
  ASSERT_TRUE(broken.verdict.has_value());
  EXPECT_FALSE(broken.verdict->pass);
}

INSTANTIATE_TEST_SUITE_P(Listed, CpuScalarMutantKill, ::testing::ValuesIn(every_listed_mutant()), pair_name);

// The seed-004 sources are right under IEEE semantics: compiled with default flags they
// pass the very cases that kill them in the finite-math builds.
TEST(CpuScalarSeed004, NegInfInitPassesInTheDefaultBuild) {
  GradedCase g(kill_cases().at("window-rows"));
  const RunOutput out = cpu_scalar::build_standard::flash_attn_one_chunk(g.c, {Mutant::neg_inf_init, 0});
  const Verdict v = judge(g.c, g.oracle.get(), out);
  EXPECT_TRUE(v.pass) << v.summary();
}

TEST(CpuScalarSeed004, InfPlusSlopeMaskPassesFiniteDataInTheDefaultBuild) {
  GradedCase g(kill_cases().at("alibi-random-mask"));
  const RunOutput out = cpu_scalar::build_standard::flash_attn_one_chunk(g.c, {Mutant::inf_plus_slope_mask, 0});
  const Verdict v = judge(g.c, g.oracle.get(), out);
  EXPECT_TRUE(v.pass) << v.summary();
}

// How the finite-math builds break: a row that starts with hidden keys gets
// exp(-inf - -inf) = NaN into S, and the final S == 0 test, compiled without its NaN
// check, then reports the row as empty (O = 0, LSE = -inf) although it sees keys.
TEST(CpuScalarSeed004, FiniteMathBuildsLoseRowsThatStartWithHiddenKeys) {
  GradedCase g(kill_cases().at("window-rows"));
  for (cpu_scalar::KernelFn kernel :
       {cpu_scalar::build_finite_math::flash_attn_one_chunk, cpu_scalar::build_fast_math::flash_attn_one_chunk}) {
    const RunOutput out = kernel(g.c, {Mutant::neg_inf_init, 0});
    int lost_rows = 0;
    for (float lse : out.lse) lost_rows += std::isfinite(lse) ? 0 : 1;
    EXPECT_EQ(lost_rows, static_cast<int>(out.lse.size())) << "every row of this case starts with hidden keys";
    EXPECT_FALSE(judge(g.c, g.oracle.get(), out).pass);
  }
}

TEST(CpuScalarMutants, CatalogueNamesSeedsAndClasses) {
  const std::vector<std::string> classes{"drift",        "overflow",        "nan-from-inf",
                                         "masked-key-leak", "lse-base",     "layout-mismatch",
                                         "nondeterminism",  "thread-dependence", "wrong-result"};
  for (const cpu_scalar::MutantEntry& e : cpu_scalar::all_mutants()) {
    EXPECT_EQ(cpu_scalar::parse_mutant(e.info.name), e.id);
    EXPECT_NE(std::find(classes.begin(), classes.end(), e.info.bug_class), classes.end()) << e.info.name;
    EXPECT_FALSE(e.info.description.empty());
  }
  EXPECT_EQ(cpu_scalar::parse_mutant(""), Mutant::none);
  EXPECT_FALSE(cpu_scalar::parse_mutant("no-such-bug").has_value());
  EXPECT_EQ(cpu_scalar::mutant_info(Mutant::vkq16).seed, "000");
  EXPECT_EQ(cpu_scalar::mutant_info(Mutant::neg_inf_init).bug_class, "nan-from-inf");
}

TEST(CpuScalarMutants, RegistryBuildsMutantsByName) {
  const Registry& r = cpu_scalar_testing::scalar_registry();
  for (Variant v : cpu_scalar::all_variants()) {
    const std::string subject(cpu_scalar::variant_name(v));
    const auto correct = r.make(subject);
    ASSERT_TRUE(correct);
    EXPECT_EQ(correct->name(), subject);
    EXPECT_EQ(correct->mutants().size(), cpu_scalar::variant_mutants(v).size());
    for (const MutantInfo& m : correct->mutants()) EXPECT_EQ(r.make(backend_spec(subject, m.name))->name(),
                                                             backend_spec(subject, m.name));
    EXPECT_THROW(r.make(subject + "@no-such-bug"), std::invalid_argument);
  }
  // The seed-004 init bug is not a bug under IEEE: the default build does not list it.
  EXPECT_THROW(r.make("cpu-scalar@neg-inf-init"), std::invalid_argument);
  EXPECT_THROW(cpu_scalar::make_backend(Variant::tiled, "vkq16"), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
