#pragma once
// Seeded case generators. A CaseRecipe (shape, dtypes, options, named distributions,
// seed) fully determines a case, so a recipe is all a corpus entry or a replay needs.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/attention_case.hpp"

namespace flashcheck {

// Named input distributions. Each shapes scores (through Q and K) and/or V.
//   uniform       Q, K, V ~ U(-1, 1)
//   normal        Q, K, V ~ N(0, 1)
//   flat          every score in a row equal (K rows identical), V ~ N(0, 1)
//   peaked        one key per row dominates the softmax
//   large_scores  |scores| around 50
//   huge_scores   |scores| beyond the fp16 range (> 65504)
//   same_sign_v   flat scores with V ~ U(0.5, 1): every term of the sums has one sign
//   large_v       |V| from 100 up to near the fp16 maximum
//   special       +-0 and subnormals of the storage types in Q/K/V, and +-inf / NaN
//                 in K and V at masked key positions only (where they must not leak)
struct Distribution {
  std::string_view name;
  std::string_view description;
  bool needs_masked_keys;  // only meaningful with some keys hidden (special values)
};
std::span<const Distribution> all_distributions();
const Distribution* find_distribution(std::string_view name);

// Named mask patterns, orthogonal to the distributions.
//   none, causal, window (uses CaseRecipe::window),
//   random        explicit mask, ~30% of entries -inf, the rest small finite biases
//   masked_rows   explicit mask in which some query rows are entirely -inf
//   masked_tiles  explicit mask with whole 32x32 tiles -inf (tile-skipping paths)
//   tile_edges    causal plus explicit -inf columns at tile boundaries +-1 (15,16,17,31,32,33,...)
struct MaskPattern {
  std::string_view name;
  std::string_view description;
};
std::span<const MaskPattern> all_mask_patterns();
const MaskPattern* find_mask_pattern(std::string_view name);

struct CaseRecipe {
  CaseShape shape;
  DType q_type = DType::f32, k_type = DType::f16, v_type = DType::f16, o_type = DType::f32;
  std::string distribution = "normal";
  std::string mask = "none";
  int64_t window = 0;
  std::optional<float> scale;  // default 1/sqrt(Dk)
  float max_bias = 0.0f;
  float softcap = 0.0f;
  bool sinks = false;
  Layout layout = Layout::contiguous;
  // Block-quantized K / V (core/quantized_kv.hpp): the values are generated in k_type /
  // v_type as usual, then quantized; the case's K / V become their exact dequantized
  // values (f32) and the bytes go to AttentionCase::k_quant / v_quant. Empty scheme: none.
  std::string k_quant, v_quant;
  KvRowLayout kv_layout = KvRowLayout::aos;
  bool hadamard = false;  // rotate K's rows before quantizing (needs k_quant)
  // Set one V block's E8M0 scale byte to 0xFF, NaN in OCP MX (needs an MX v_quant): the
  // first block of batch 0's last token, a key most rows see. Bytes no reference
  // quantizer writes, for kernels' decoding of the NaN scale.
  bool v_nan_scale = false;
  uint64_t seed = 1;
};

// Builds the case; throws std::invalid_argument with a clear message for an
// unknown distribution or mask, or a recipe whose case fails validation (the message
// of recipe_problem(), which generate() checks first).
AttentionCase generate(const CaseRecipe& recipe);

// Empty when generate(recipe) builds a case without throwing; otherwise every problem,
// one per line. Allocates nothing in proportion to the shape, so decoders can vet a
// recipe from an untrusted file before generating it.
std::string recipe_problem(const CaseRecipe& recipe);

std::string describe(const CaseRecipe& r);

}  // namespace flashcheck
