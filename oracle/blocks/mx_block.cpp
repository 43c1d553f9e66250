#include "oracle/blocks/mx_block.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "oracle/formats/element_codec.hpp"

namespace flashcheck::blocks {

namespace {

constexpr std::array<std::string_view, 5> kMxElements{"fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1"};

// sqrt(2) as a double-double: hi + lo within 2^-107 of sqrt(2).
constexpr double kSqrt2Hi = 0x1.6a09e667f3bcdp+0;
constexpr double kSqrt2Lo = -0x1.bdd3413b26456p-54;

// Below every element format's half smallest subnormal (>= 2^-17) by far: any value
// in (0, 2^-1000] rounds the same way as any other under every rounding mode.
constexpr int kTinyExponent = -1000;

void require_block(std::span<const double> x) {
  if (x.size() != kBlockSize)
    throw std::invalid_argument("an MX block holds " + std::to_string(kBlockSize) + " values, got " +
                                std::to_string(x.size()));
}

// a * 2^shift for finite a, or a stand-in that every element rounding treats alike
// when the exact product would fall below the double range's exact part.
double scale_exactly(double a, int shift) {
  if (a == 0.0 || std::isinf(a)) return a;
  if (std::ilogb(a) + shift < kTinyExponent) return std::copysign(std::ldexp(1.0, kTinyExponent), a);
  return std::ldexp(a, shift);
}

// a * sqrt(2) rounded to odd at 53 bits: rounding that double into any format of at
// most 51 bits gives the same result as rounding the exact product, as long as the
// double-double error (< 2^-104 relative) cannot cross a rounding boundary, which the
// 48-bit bound on a guarantees (docs/formats.md).
double times_sqrt2_round_to_odd(double a) {
  const double p = a * kSqrt2Hi;
  const double e = std::fma(a, kSqrt2Hi, -p) + a * kSqrt2Lo;
  const double hi = p + e;
  const double lo = e - (hi - p);
  if (lo == 0.0 || (std::bit_cast<uint64_t>(hi) & 1u) != 0) return hi;
  return std::nextafter(hi,
                        lo > 0.0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity());
}

int significant_bits(double a) {
  const int e = std::ilogb(a);
  const auto m = static_cast<uint64_t>(std::ldexp(std::fabs(a), 52 - e));  // 53-bit integer
  return 53 - std::countr_zero(m);
}

void require_sqrt2_scalable(double a) {
  if (a == 0.0 || std::isnan(a) || std::isinf(a)) return;
  const double m = std::fabs(a);
  if (m < 0x1p-1000 || m > 0x1p1000 || significant_bits(a) > 48)
    throw std::domain_error(
        "exact scaling by sqrt(2) needs values of at most 48 significant bits in [2^-1000, "
        "2^1000]; got " +
        describe_value(a));
}

// Double that rounds like a * 2^(half_exp / 2) * 2^-x.
double element_operand(double a, int half_exp, int x) {
  if (half_exp % 2 == 0) return scale_exactly(a, half_exp / 2 - x);
  if (a == 0.0 || std::isinf(a)) return a;
  return scale_exactly(times_sqrt2_round_to_odd(a), (half_exp - 1) / 2 - x);
}

}  // namespace

MxConfig mx_config(std::string_view element_name, ScaleRule rule) {
  if (std::find(kMxElements.begin(), kMxElements.end(), element_name) == kMxElements.end())
    throw std::invalid_argument("'" + std::string(element_name) +
                                "' is not an MX element format (fp8_e4m3, fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1)");
  const formats::ElementFormat& f = formats::element_format(element_name);
  return {&f, rule, formats::default_policy(f)};
}

Block quantize_mx_block_scaled(const MxConfig& c, std::span<const double> a, int half_exp) {
  require_block(a);
  if (c.element == nullptr) throw std::invalid_argument("MX config without an element format");
  formats::check_policy(*c.element, c.element_policy);
  Block b;
  double amax = 0.0;
  for (double v : a) {
    if (std::isnan(v)) {
      b.scale = kScaleNanCode;  // the whole block decodes to NaN; element codes stay 0
      return b;
    }
    if (half_exp % 2 != 0) require_sqrt2_scalable(v);
    if (!std::isinf(v)) amax = std::max(amax, std::fabs(v));  // infinities take the element policy
  }
  const int x = amax == 0.0 ? kScaleExponentMin
                            : std::clamp(shared_exponent_unclamped(c.rule, *c.element, amax, half_exp),
                                         kScaleExponentMin, kScaleExponentMax);
  b.scale = static_cast<uint16_t>(x - kScaleExponentMin);
  for (size_t i = 0; i < a.size(); ++i)
    b.codes[i] = formats::encode(*c.element, element_operand(a[i], half_exp, x), c.element_policy);
  return b;
}

Block quantize_mx_block(const MxConfig& c, std::span<const double> x) { return quantize_mx_block_scaled(c, x, 0); }

double e8m0_scale_value(uint8_t code) {
  if (code == kScaleNanCode) return std::numeric_limits<double>::quiet_NaN();
  return std::ldexp(1.0, code + kScaleExponentMin);
}

std::array<double, kBlockSize> dequantize_mx_block(const formats::ElementFormat& element, const Block& b) {
  if (b.scale > 0xFF) throw std::invalid_argument("E8M0 scale code " + std::to_string(b.scale) + " exceeds 8 bits");
  const double scale = e8m0_scale_value(static_cast<uint8_t>(b.scale));
  std::array<double, kBlockSize> out{};
  for (size_t i = 0; i < out.size(); ++i) {
    const double v = formats::decode(element, b.codes[i]);  // validates the code's width
    out[i] = std::isnan(scale) ? scale : v * scale;         // exact: both factors are short
  }
  return out;
}

}  // namespace flashcheck::blocks
