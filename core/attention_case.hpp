#pragma once
// The case model: one attention problem, its inputs exactly as a kernel sees them
// (already rounded to their storage dtypes) and the options that define the math.
//
// Score of query i (head h) against key j:
//   s = scale * dot(q_i, k_j)
//   if softcap > 0:  s = softcap * tanh(s / softcap)
//   s += slope(h) * bias(i, j)          slope = 1 unless ALiBi (max_bias > 0)
// bias(i, j) is -inf for keys the mask hides; otherwise the explicit mask value
// (if any) plus, under ALiBi, the position bias -|i + (Lk - Lq) - j|.
// With a sink value S_h for head h, softmax's denominator gets exp(S_h) added
// (the sink has no value row). O = softmax(s) V; LSE = log(sum exp(s) [+ exp(S_h)]).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/quantized_kv.hpp"
#include "core/tensor.hpp"

namespace flashcheck {

enum class MaskKind : uint8_t { none, causal, window, explicit_only };

// What the oracle and the contract say a row with no visible key produces.
enum class FullyMaskedPolicy : uint8_t {
  zeros_neg_inf_lse,  // O = 0, LSE = -inf (the default contract)
  nan,                // O = NaN, LSE = NaN (what a plain 0/0 gives, MLX style)
};

struct CaseShape {
  int64_t batch = 1, hq = 1, hkv = 1, lq = 1, lk = 1, dk = 64, dv = 64;
  int64_t decode_offset() const { return lk - lq; }
  int64_t gqa_ratio() const { return hkv > 0 ? hq / hkv : 0; }
};

struct AttentionCase {
  std::string family;  // generator family that produced it, for reports
  uint64_t seed = 0;
  CaseShape shape;
  DType q_type = DType::f32, k_type = DType::f16, v_type = DType::f16, o_type = DType::f32;

  float scale = 1.0f;
  MaskKind mask_kind = MaskKind::none;
  int64_t window = 0;     // MaskKind::window: key j visible iff 0 <= i + offset - j < window
  float max_bias = 0.0f;  // ALiBi when > 0
  float softcap = 0.0f;   // logit soft-capping when > 0

  Tensor q;  // [batch][hq][lq][dk]
  Tensor k;  // [batch][hkv][lk][dk]
  Tensor v;  // [batch][hkv][lk][dv]
  std::optional<Tensor> mask;  // explicit additive mask [1][1][lq][lk], f32 or f16; may hold -inf
  std::vector<float> sinks;    // empty, or one value per query head

  // Block-quantized K / V (core/quantized_kv.hpp): kernels read these bytes; k / v then
  // hold the exact dequantized values (f32) and k_type / v_type are f32.
  std::optional<QuantizedKv> k_quant, v_quant;
  // Present exactly when K is Hadamard-rotated: Q as the kernel must rotate it, rounded
  // to f32 (rotate_q_rows(q)). The oracle and the budgets use it; kernels get q.
  std::optional<Tensor> rotated_q;

  int64_t kv_head(int64_t h) const { return h / shape.gqa_ratio(); }
  bool has_sinks() const { return !sinks.empty(); }
  bool has_quantized_kv() const { return k_quant.has_value() || v_quant.has_value(); }
  const Tensor& oracle_q() const { return rotated_q ? *rotated_q : q; }
  bool uses_alibi() const { return max_bias > 0.0f; }

  // Whether key j is visible to query i under the structural mask (causal/window).
  bool structurally_visible(int64_t i, int64_t j) const;
  // Additive bias before the ALiBi slope: -inf when hidden (see the header comment).
  double bias(int64_t i, int64_t j) const;
  // ALiBi slope of query head h (1 without ALiBi), rounded to f32 as kernels hold it.
  float slope(int64_t h) const;
  // The complete additive mask [lq][lk] (bias values) for kernels that take one
  // explicit mask, as ggml's flash_attn_ext does.
  std::vector<float> materialized_mask() const;
};

// The same case with K / V as they were before quantization (and Q unrotated): what
// the quantization error is measured against. A case without quantized KV is returned as is.
AttentionCase without_quantization(const AttentionCase& c);

// Empty when the case is well formed; otherwise every problem, one per line.
std::string validate(const AttentionCase& c);

std::string to_string(MaskKind k);
std::optional<MaskKind> parse_mask_kind(const std::string& s);
std::string describe_shape(const CaseShape& s);

}  // namespace flashcheck
