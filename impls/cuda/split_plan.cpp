#include "impls/cuda/split_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace flashcheck::cuda {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

SplitPlan plan_splits(int64_t lk, int requested_splits) {
  if (requested_splits < 0) throw std::invalid_argument("split count must be >= 0, got " + std::to_string(requested_splits));
  const int64_t keys = std::max<int64_t>(lk, 1);
  const int64_t splits = requested_splits > 0
                             ? requested_splits
                             : std::clamp<int64_t>(ceil_div(keys, kAutoSplitKeys), 1, kMaxAutoSplits);
  const int64_t keys_per_split = ceil_div(ceil_div(keys, splits), kKeyTile) * kKeyTile;
  SplitPlan plan;
  // Rounding chunks up to whole tiles can leave trailing chunks empty; the automatic plan
  // drops them, a forced count keeps them (they are what the merge's guard is for).
  plan.num_splits = static_cast<int>(requested_splits > 0 ? splits : ceil_div(keys, keys_per_split));
  plan.keys_per_split = static_cast<int>(keys_per_split);
  return plan;
}

}  // namespace flashcheck::cuda
