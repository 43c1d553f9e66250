#include "impls/ggml/ggml_fa_mask.hpp"

#include <cmath>
#include <cstdio>

namespace flashcheck::ggml_subject {

std::optional<F16Mask> f16_mask_from_bias(const float* bias, int64_t lq, int64_t lk, bool alibi,
                                          std::string* why_not) {
  why_not->clear();
  const auto n = static_cast<size_t>(lq * lk);
  bool all_zero = true;
  for (size_t i = 0; i < n && all_zero; ++i) all_zero = bias[i] == 0.0f;
  // Without a mask ggml adds nothing and applies no ALiBi slope, so a zero mask is left out.
  if (all_zero && !alibi) return std::nullopt;

  F16Mask m;
  m.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float b = bias[i];
    const ggml_fp16_t h = ggml_fp32_to_fp16(b);
    const float back = ggml_fp16_to_fp32(h);
    if (std::isnan(b) || back != b) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "mask value %a (%.9g) at query %lld, key %lld is not exact in f16, ggml's mask type", b,
                    static_cast<double>(b), static_cast<long long>(static_cast<int64_t>(i) / lk),
                    static_cast<long long>(static_cast<int64_t>(i) % lk));
      *why_not = text;
      return std::nullopt;
    }
    m.values[i] = h;
  }
  return m;
}

}  // namespace flashcheck::ggml_subject
