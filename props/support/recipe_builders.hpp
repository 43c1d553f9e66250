#pragma once
// Small builders of hand-picked case recipes, shared by the suites that name their
// cases (mutant kill cases, probes, rules): one shape, distribution, mask and seed.
#include <cstdint>

#include "core/generator.hpp"

namespace flashcheck::testing {

inline CaseRecipe recipe(CaseShape shape, const char* distribution, const char* mask, uint64_t seed) {
  CaseRecipe r;
  r.shape = shape;
  r.distribution = distribution;
  r.mask = mask;
  r.seed = seed;
  return r;
}

// The same recipe with K and V block-quantized in one scheme and row layout.
inline CaseRecipe quantized(CaseRecipe r, const char* scheme, KvRowLayout layout) {
  r.k_quant = scheme;
  r.v_quant = scheme;
  r.kv_layout = layout;
  return r;
}

}  // namespace flashcheck::testing
