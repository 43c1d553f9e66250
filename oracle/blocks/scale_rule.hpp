#pragma once
// Shared-scale rules of OCP MX blocks: how the block's E8M0 exponent X follows from
// amax = max |x|. Exact for every double amax, and for amax = a * 2^(half_exp / 2)
// (a rotated block carries the irrational factor 2^-2.5). Semantics: docs/formats.md.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "oracle/formats/element_format.hpp"

namespace flashcheck::blocks {

enum class ScaleRule : uint8_t {
  ocp_floor,  // X = floor(log2 amax) - emax_elem (OCP MX v1.0 section 6.3); may clamp elements
  round,      // X = round(log2 amax) - emax_elem, a tie (log2 amax = k + 1/2) rounds up
  ceil,       // smallest X with amax / 2^X <= max_elem: never clamps
};

inline constexpr int kScaleExponentMin = -127;  // E8M0 code 0x00
inline constexpr int kScaleExponentMax = 127;   // E8M0 code 0xFE
inline constexpr uint8_t kScaleNanCode = 0xFF;

std::string_view name(ScaleRule r);
std::optional<ScaleRule> parse_scale_rule(std::string_view s);
std::span<const ScaleRule> all_scale_rules();

// Exponent of the element format's largest normal: floor(log2(max_finite)).
int element_emax(const formats::ElementFormat& f);

// floor(log2(a * 2^(half_exp / 2))) for finite a > 0, decided exactly.
int floor_log2_scaled(double a, int half_exp);

// X before clamping to the E8M0 range, for finite amax = a * 2^(half_exp / 2) > 0.
int shared_exponent_unclamped(ScaleRule r, const formats::ElementFormat& f, double a, int half_exp = 0);

}  // namespace flashcheck::blocks
