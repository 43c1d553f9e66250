#include "impls/cpu_scalar/hadamard32.hpp"

#include <array>
#include <cmath>

#include "impls/cpu_scalar/kv_blocks.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {
namespace {

// Five butterfly stages: after stage `len`, x holds H_(2 len) applied to each group.
template <class T>
void butterflies(T* x) {
  for (int len = 1; len < kBlockSize; len *= 2)
    for (int i = 0; i < kBlockSize; i += 2 * len)
      for (int j = i; j < i + len; ++j) {
        const T a = x[j], b = x[j + len];
        x[j] = a + b;
        x[j + len] = a - b;
      }
}

}  // namespace

void rotate_blocks32(float* x, int64_t n) {
  const float inv_sqrt32 = std::sqrt(0x1p-5f);  // correctly rounded 2^-2.5
  for (int64_t at = 0; at < n; at += kBlockSize) {
    butterflies(x + at);
    for (int i = 0; i < kBlockSize; ++i) x[at + i] *= inv_sqrt32;
  }
}

void rotate_blocks32_wide(float* x, int64_t n) {
  const double inv_sqrt32 = std::sqrt(0x1p-5);
  std::array<double, kBlockSize> w{};
  for (int64_t at = 0; at < n; at += kBlockSize) {
    for (int i = 0; i < kBlockSize; ++i) w[static_cast<size_t>(i)] = x[at + i];
    butterflies(w.data());
    for (int i = 0; i < kBlockSize; ++i) x[at + i] = static_cast<float>(w[static_cast<size_t>(i)] * inv_sqrt32);
  }
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
