#include "corpus/tools/start_cases.hpp"

#include <algorithm>

#include "cli/check_matrix.hpp"
#include "corpus/tools/recipe_shrink.hpp"

namespace flashcheck::corpus {
namespace {

using enum DType;

struct DocsKill {
  const char* mutant;  // the row of docs/mutants.md
  CaseShape shape;
  const char* distribution;
  const char* mask;
  uint64_t seed;
  int64_t window = 0;
  DType q = f32;
  float max_bias = 0.0f;
};

// The "kills" column of docs/mutants.md (shape B, Hq, Hkv, Lq, Lk, Dk, Dv; seed 1 where
// the row names none). The quantized rows are quick plan entries already.
const DocsKill kDocsKills[] = {
    {"fp16-softmax-stats", {1, 4, 2, 4, 256, 64, 64}, "same_sign_v", "random", 7, 0, f16},
    {"vkq16", {1, 2, 2, 4, 256, 64, 64}, "normal", "none", 1},
    {"neg-inf-init", {1, 4, 4, 16, 80, 64, 64}, "normal", "window", 1, 24},
    {"neg-inf-init", {1, 4, 2, 80, 113, 64, 64}, "normal", "tile_edges", 4004},
    {"inf-plus-slope-mask", {1, 4, 4, 16, 48, 64, 64}, "normal", "random", 1, 0, f32, 8.0f},
    {"lse-log2", {1, 4, 2, 40, 72, 64, 64}, "normal", "causal", 21},
    {"merge-no-rescale", {1, 4, 2, 1, 300, 64, 64}, "normal", "none", 21},
    {"merge-no-empty-guard", {1, 4, 4, 64, 96, 64, 64}, "normal", "masked_rows", 22},
    {"max-lane0", {1, 4, 2, 24, 70, 64, 64}, "large_scores", "causal", 2002},
    {"max-lane0", {1, 4, 2, 24, 200, 64, 64}, "large_scores", "causal", 5},
    {"missing-exp-clamp", {1, 4, 2, 24, 300, 64, 64}, "normal", "causal", 3},
    {"paged-table-off-by-one", {2, 4, 2, 1, 300, 64, 64}, "normal", "causal", 23},
    {"gqa-head-modulo", {1, 4, 2, 8, 64, 64, 64}, "normal", "none", 1},
    {"causal-offset", {1, 2, 2, 4, 64, 64, 64}, "normal", "causal", 1},
    {"tile-class-off-by-one", {1, 4, 2, 64, 200, 64, 64}, "normal", "tile_edges", 4005},
};

CaseRecipe recipe_of(const DocsKill& k) {
  CaseRecipe r;
  r.shape = k.shape;
  r.distribution = k.distribution;
  r.mask = k.mask;
  r.window = k.window;
  r.q_type = k.q;
  r.max_bias = k.max_bias;
  r.seed = k.seed;
  return r;
}

void cheapest_first(std::vector<StartCase>& v) {
  std::stable_sort(v.begin(), v.end(), [](const StartCase& a, const StartCase& b) {
    return recipe_cost(a.recipe) < recipe_cost(b.recipe);
  });
}

}  // namespace

std::vector<StartCase> start_cases() {
  std::vector<StartCase> plan;
  for (const cli::MatrixEntry& e : cli::quick_matrix(cli::kDefaultMatrixSeed))
    plan.push_back({"quick plan " + e.family, e.recipe});
  std::vector<StartCase> docs;
  for (const DocsKill& k : kDocsKills)
    docs.push_back({std::string("docs/mutants.md kills column (") + k.mutant + ")", recipe_of(k)});
  cheapest_first(plan);
  cheapest_first(docs);
  plan.insert(plan.end(), docs.begin(), docs.end());
  return plan;
}

}  // namespace flashcheck::corpus
