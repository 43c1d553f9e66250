// The default check matrix must cover the case families the contract cares about,
// build valid cases, and derive its seeds reproducibly from the base seed.
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cli/check_matrix.hpp"
#include "cli/recipe_flags.hpp"
#include "core/generator.hpp"

namespace flashcheck::cli {
namespace {

const std::vector<MatrixEntry>& matrix() {
  static const std::vector<MatrixEntry> m = default_matrix(kDefaultMatrixSeed);
  return m;
}

bool any_entry(const std::function<bool(const CaseRecipe&)>& pred) {
  return std::any_of(matrix().begin(), matrix().end(), [&](const MatrixEntry& e) { return pred(e.recipe); });
}

TEST(CheckMatrix, CoversEveryDistributionAndMaskPattern) {
  for (const auto& d : all_distributions())
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.distribution == d.name; })) << d.name;
  for (const auto& m : all_mask_patterns())
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.mask == m.name; })) << m.name;
}

TEST(CheckMatrix, CoversShapeFamilies) {
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.shape.lq == 1; })) << "decode";
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.shape.lq > 1; })) << "prefill";
  for (int64_t lk : {1, 113, 4097})
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.shape.lk == lk; })) << "Lk " << lk;
  for (int64_t d : {64, 128})
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.shape.dk == d && r.shape.dv == d; })) << "D " << d;
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.shape.dk != r.shape.dv; })) << "Dk != Dv";
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.shape.hq == 8 && r.shape.hkv == 2; })) << "GQA";
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.shape.hq == r.shape.hkv; })) << "MHA";
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.mask == "causal" && r.shape.lq > 1 && r.shape.lq < r.shape.lk; }))
      << "causal prefill with a decode offset";
}

TEST(CheckMatrix, CoversOptionsLayoutsAndTypes) {
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.softcap > 0; })) << "softcap";
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.max_bias > 0; })) << "ALiBi";
  EXPECT_TRUE(any_entry([](const CaseRecipe& r) { return r.sinks; })) << "sinks";
  for (Layout l : {Layout::seq_major, Layout::padded_rows})
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.layout == l; })) << layout_name(l);
  for (DType t : {DType::f16, DType::bf16}) {
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.q_type == t; })) << "Q " << dtype_name(t);
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.o_type == t; })) << "O " << dtype_name(t);
  }
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.k_type == t; })) << "K " << dtype_name(t);
    EXPECT_TRUE(any_entry([&](const CaseRecipe& r) { return r.v_type == t; })) << "V " << dtype_name(t);
  }
}

TEST(CheckMatrix, EveryEntryBuildsAValidCase) {
  for (const auto& e : matrix()) {
    SCOPED_TRACE(e.family);
    const AttentionCase c = generate(e.recipe);
    EXPECT_EQ(validate(c), "");
  }
}

TEST(CheckMatrix, LabelsNameTheKindDistributionAndMask) {
  for (const auto& e : matrix()) {
    const std::string head = std::string(e.recipe.shape.lq == 1 ? "decode/" : "prefill/") + e.recipe.distribution + "/" +
                             e.recipe.mask + " (";
    EXPECT_EQ(e.family.substr(0, head.size()), head);
    EXPECT_EQ(e.family, family_label(e.recipe));
  }
}

TEST(CheckMatrix, QuickIsASmallerSubsetWithIdenticalCases) {
  const auto quick = quick_matrix(kDefaultMatrixSeed);
  EXPECT_FALSE(quick.empty());
  EXPECT_LT(quick.size() * 3, matrix().size());
  for (const auto& q : quick) {
    const bool found = std::any_of(matrix().begin(), matrix().end(),
                                   [&](const MatrixEntry& e) { return e.family == q.family && same_recipe(e.recipe, q.recipe); });
    EXPECT_TRUE(found) << q.family;
  }
}

TEST(CheckMatrix, SeedsAreDistinctReproducibleAndFollowTheBaseSeed) {
  const auto again = default_matrix(kDefaultMatrixSeed);
  const auto other = default_matrix(kDefaultMatrixSeed + 1);
  std::set<uint64_t> seeds;
  ASSERT_EQ(again.size(), matrix().size());
  for (size_t i = 0; i < matrix().size(); ++i) {
    EXPECT_TRUE(same_recipe(again[i].recipe, matrix()[i].recipe));
    EXPECT_NE(other[i].recipe.seed, matrix()[i].recipe.seed);
    CaseRecipe reseeded = other[i].recipe;
    reseeded.seed = matrix()[i].recipe.seed;
    EXPECT_TRUE(same_recipe(reseeded, matrix()[i].recipe)) << "only the seed may change";
    seeds.insert(matrix()[i].recipe.seed);
  }
  EXPECT_EQ(seeds.size(), matrix().size());
}

}  // namespace
}  // namespace flashcheck::cli
