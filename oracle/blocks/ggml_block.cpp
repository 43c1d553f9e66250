#include "oracle/blocks/ggml_block.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/dtype.hpp"

namespace flashcheck::blocks {

namespace {

void require_block(std::span<const float> x, const char* type, bool nan_allowed) {
  if (x.size() != kBlockSize)
    throw std::invalid_argument(std::string("a ") + type + " block holds 32 values, got " + std::to_string(x.size()));
  for (float v : x) {
    if (std::isinf(v) || (!nan_allowed && std::isnan(v)))
      throw std::invalid_argument(std::string("ggml ") + type + " input " + describe_value(v) +
                                  ": the reference quantizer's result is undefined for it");
  }
}

// A tiny nonzero amax makes 1/d overflow to inf: x * id is then inf or NaN, and ggml's
// conversion of it to an integer is undefined.
void require_finite_product(float x0, float x, const char* type) {
  if (!std::isfinite(x0))
    throw std::invalid_argument(std::string("ggml ") + type + ": x * (1/d) is not finite for x = " + describe_value(x) +
                                " (block amax too small); the reference result is undefined");
}

// GGML_FP32_TO_FP16 rounds to nearest even; the float widens to double exactly.
uint16_t fp16_bits(float v) { return f16_bits_from_double(static_cast<double>(v)); }
float fp16_value(uint16_t h) { return static_cast<float>(f16_bits_to_double(h)); }

}  // namespace

Block quantize_ggml_q8_0(std::span<const float> x) {
  require_block(x, "q8_0", false);
  float amax = 0.0f;
  for (float v : x) amax = amax > std::fabs(v) ? amax : std::fabs(v);  // MAX(amax, fabsf(v))
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  Block b;
  b.scale = fp16_bits(d);
  for (size_t j = 0; j < x.size(); ++j) {
    const float x0 = x[j] * id;
    require_finite_product(x0, x[j], "q8_0");
    // roundf: half away from zero; |x0| <= 127 (plus rounding) keeps it in int8.
    b.codes[j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x0)));
  }
  return b;
}

Block quantize_ggml_q4_0(std::span<const float> x) {
  require_block(x, "q4_0", false);
  float amax = 0.0f;
  float max = 0.0f;
  for (float v : x) {
    if (amax < std::fabs(v)) {  // strict: the first element of largest magnitude wins
      amax = std::fabs(v);
      max = v;
    }
  }
  const float d = max / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  Block b;
  b.scale = fp16_bits(d);
  for (size_t j = 0; j < x.size(); ++j) {
    const float x0 = x[j] * id;
    require_finite_product(x0, x[j], "q4_0");
    // (int8_t) truncates toward zero; x0 + 8.5f lies in [0.5, 16.5] up to rounding.
    const int xi = std::min(15, static_cast<int>(static_cast<int8_t>(x0 + 8.5f)));
    b.codes[j] = static_cast<uint8_t>(xi);
  }
  return b;
}

float ggml_e8m0_to_fp32_half(uint8_t e) {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  return std::bit_cast<float>(bits);
}

uint8_t ggml_mxfp4_scale_code(float amax) {
  if (!(amax > 0.0f)) return 0;
  const float e = std::floor(std::log2(amax)) - 2.0f + 127.0f;  // floorf(log2f(amax)) - 2 + 127
  return e < 0.0f ? uint8_t{0} : static_cast<uint8_t>(e);       // finite amax gives at most 253
}

uint8_t ggml_mxfp4_best_index(float x, float d) {
  uint8_t best = 0;
  float best_err = std::fabs(static_cast<float>(kGgmlMxfp4Values[0]) * d - x);
  for (uint8_t i = 1; i < kGgmlMxfp4Values.size(); ++i) {
    const float err = std::fabs(static_cast<float>(kGgmlMxfp4Values[i]) * d - x);
    if (err < best_err) {  // strict: ties keep the earlier index; a NaN x keeps index 0
      best = i;
      best_err = err;
    }
  }
  return best;
}

Block quantize_ggml_mxfp4(std::span<const float> x) {
  require_block(x, "mxfp4", true);
  float amax = 0.0f;
  for (float v : x)
    if (amax < std::fabs(v)) amax = std::fabs(v);  // NaN never compares greater: skipped
  const uint8_t e = ggml_mxfp4_scale_code(amax);
  const float d = ggml_e8m0_to_fp32_half(e);
  Block b;
  b.scale = e;
  for (size_t j = 0; j < x.size(); ++j) b.codes[j] = ggml_mxfp4_best_index(x[j], d);
  return b;
}

std::array<float, kBlockSize> dequantize_ggml_q8_0(const Block& b) {
  const float d = fp16_value(b.scale);
  std::array<float, kBlockSize> out{};
  for (size_t j = 0; j < out.size(); ++j) out[j] = static_cast<float>(static_cast<int8_t>(b.codes[j])) * d;
  return out;
}

std::array<float, kBlockSize> dequantize_ggml_q4_0(const Block& b) {
  const float d = fp16_value(b.scale);
  std::array<float, kBlockSize> out{};
  for (size_t j = 0; j < out.size(); ++j) {
    if (b.codes[j] > 0x0F) throw std::invalid_argument("q4_0 code " + std::to_string(b.codes[j]) + " exceeds 4 bits");
    out[j] = static_cast<float>(b.codes[j] - 8) * d;
  }
  return out;
}

std::array<float, kBlockSize> dequantize_ggml_mxfp4(const Block& b) {
  if (b.scale > 0xFF) throw std::invalid_argument("mxfp4 scale " + std::to_string(b.scale) + " exceeds 8 bits");
  const float d = ggml_e8m0_to_fp32_half(static_cast<uint8_t>(b.scale));
  std::array<float, kBlockSize> out{};
  for (size_t j = 0; j < out.size(); ++j) {
    if (b.codes[j] > 0x0F) throw std::invalid_argument("mxfp4 code " + std::to_string(b.codes[j]) + " exceeds 4 bits");
    out[j] = static_cast<float>(kGgmlMxfp4Values[b.codes[j]]) * d;
  }
  return out;
}

}  // namespace flashcheck::blocks
