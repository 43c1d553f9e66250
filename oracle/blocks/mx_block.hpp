#pragma once
// OCP MX v1.0 block quantization: 32 elements share one E8M0 scale 2^X; element i is
// encode(x_i / 2^X) with an element EncodePolicy. Scale rules, clamping and the
// NaN / infinity / zero cases: docs/formats.md, "Block formats, layouts and rotation".
#include <array>
#include <span>
#include <string_view>

#include "oracle/blocks/block.hpp"
#include "oracle/blocks/scale_rule.hpp"
#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::blocks {

struct MxConfig {
  const formats::ElementFormat* element = nullptr;
  ScaleRule rule = ScaleRule::ocp_floor;
  formats::EncodePolicy element_policy;
};

// Element one of fp8_e4m3, fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1 (others throw);
// the policy defaults to the element's default_policy (nearest_even, saturate).
MxConfig mx_config(std::string_view element_name, ScaleRule rule = ScaleRule::ocp_floor);

// x holds exactly 32 values.
Block quantize_mx_block(const MxConfig& c, std::span<const double> x);
// The block of the values a_i * 2^(half_exp / 2) (a rotated block has half_exp = -5),
// quantized as if those exact values had been given. An odd half_exp needs every a_i
// to have at most 48 significant bits and to lie in [2^-1000, 2^1000]; otherwise throws
// std::domain_error.
Block quantize_mx_block_scaled(const MxConfig& c, std::span<const double> a, int half_exp);

// 2^(code - 127); NaN for 0xFF.
double e8m0_scale_value(uint8_t code);
// decode(code_i) * 2^X, exact; every value is NaN when the scale is 0xFF.
std::array<double, kBlockSize> dequantize_mx_block(const formats::ElementFormat& element, const Block& b);

}  // namespace flashcheck::blocks
