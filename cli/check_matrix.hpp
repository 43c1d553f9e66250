#pragma once
// The default list of cases `flashcheck check` runs on every backend.
#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.hpp"

namespace flashcheck::cli {

inline constexpr uint64_t kDefaultMatrixSeed = 20261123;

struct MatrixEntry {
  std::string family;  // e.g. "prefill/flat/causal (gqa)"
  CaseRecipe recipe;
  bool rules = false;  // also check the absolute rules (verdict/absolute_rules.hpp) on it
};

// Every entry, with seeds derived from base_seed and the entry's position.
std::vector<MatrixEntry> default_matrix(uint64_t base_seed);
// The smaller smoke subset; its entries are identical to their default_matrix twins.
std::vector<MatrixEntry> quick_matrix(uint64_t base_seed);

// "decode|prefill/<distribution>/<mask>" plus the features that set the case apart.
std::string family_label(const CaseRecipe& r);

}  // namespace flashcheck::cli
