#pragma once
// RapidCheck generation of case recipes, shared by the property suites. Each suite
// states the space it draws from; the drawing itself is written once.
#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.hpp"

namespace flashcheck::testing {

struct RecipeSpace {
  int64_t max_batch = 2;
  std::vector<int64_t> hkv_choices{1, 2};
  int64_t max_gqa_ratio = 3;
  int64_t max_lq = 6, max_lk = 39, max_dk = 32, max_dv = 32;
  bool lk_at_least_lq = false;
  std::vector<std::string> distributions;  // empty: every distribution
  std::vector<std::string> masks;          // empty: every mask pattern
  std::vector<float> softcaps{0.0f};
  std::vector<float> max_biases{0.0f};
  std::vector<float> scales;               // empty: the default 1/sqrt(Dk) only
  std::vector<Layout> layouts{Layout::contiguous};
  uint64_t max_seed = uint64_t{1} << 30;  // seeds drawn from [1, max_seed)
};

inline DType any_storage_dtype() { return *rc::gen::element(DType::f32, DType::f16, DType::bf16); }

inline CaseRecipe random_recipe(const RecipeSpace& space) {
  auto names_or_all = [](const std::vector<std::string>& chosen, auto table) {
    if (!chosen.empty()) return chosen;
    std::vector<std::string> all;
    for (const auto& entry : table) all.emplace_back(entry.name);
    return all;
  };
  CaseRecipe r;
  const int64_t hkv = *rc::gen::elementOf(space.hkv_choices);
  r.shape = {.batch = *rc::gen::inRange<int64_t>(1, space.max_batch + 1),
             .hq = hkv * *rc::gen::inRange<int64_t>(1, space.max_gqa_ratio + 1),
             .hkv = hkv,
             .lq = *rc::gen::inRange<int64_t>(1, space.max_lq + 1),
             .lk = *rc::gen::inRange<int64_t>(1, space.max_lk + 1),
             .dk = *rc::gen::inRange<int64_t>(1, space.max_dk + 1),
             .dv = *rc::gen::inRange<int64_t>(1, space.max_dv + 1)};
  if (space.lk_at_least_lq) r.shape.lk = std::max(r.shape.lk, r.shape.lq);
  r.q_type = any_storage_dtype();
  r.k_type = any_storage_dtype();
  r.v_type = any_storage_dtype();
  r.o_type = any_storage_dtype();
  r.distribution = *rc::gen::elementOf(names_or_all(space.distributions, all_distributions()));
  r.mask = *rc::gen::elementOf(names_or_all(space.masks, all_mask_patterns()));
  r.window = *rc::gen::inRange<int64_t>(1, r.shape.lk + 1);
  if (!space.scales.empty() && *rc::gen::arbitrary<bool>()) r.scale = *rc::gen::elementOf(space.scales);
  r.softcap = *rc::gen::elementOf(space.softcaps);
  r.max_bias = *rc::gen::elementOf(space.max_biases);
  r.sinks = *rc::gen::arbitrary<bool>();
  r.layout = *rc::gen::elementOf(space.layouts);
  r.seed = *rc::gen::inRange<uint64_t>(1, space.max_seed);
  return r;
}

// A random recipe whose K and/or V may be block-quantized in any scheme and row layout,
// with Hadamard-rotated K and the E8M0 NaN scale where they apply (Dk, Dv in 32..64;
// no distribution that puts inf/NaN into K/V, which quantization cannot hold).
inline CaseRecipe random_quantized_recipe() {
  RecipeSpace space;
  space.max_dk = space.max_dv = 1;  // replaced by multiples of 32 below
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  for (const auto& d : all_distributions())
    if (!d.needs_masked_keys) space.distributions.emplace_back(d.name);
  CaseRecipe r = random_recipe(space);
  r.shape.dk = *rc::gen::element<int64_t>(32, 64);
  r.shape.dv = *rc::gen::element<int64_t>(32, 64);
  std::vector<std::string> schemes = kv_scheme_names();
  schemes.emplace_back();  // no quantization
  r.k_quant = *rc::gen::elementOf(schemes);
  r.v_quant = *rc::gen::elementOf(schemes);
  r.kv_layout = *rc::gen::element(KvRowLayout::aos, KvRowLayout::soa);
  r.hadamard = !r.k_quant.empty() && *rc::gen::arbitrary<bool>();
  r.v_nan_scale = is_mx_scale_scheme(r.v_quant) && *rc::gen::arbitrary<bool>();
  return r;
}

}  // namespace flashcheck::testing
