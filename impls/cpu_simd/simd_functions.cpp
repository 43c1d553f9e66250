// run_simd_function: the subjects' own vectorised expf / tanhf, for accuracy tests.
#include <stdexcept>

#include "impls/cpu_simd/cpu_simd.hpp"
#include "impls/cpu_simd/neon_backend.hpp"
#include "impls/cpu_simd/x86_backend.hpp"

namespace flashcheck {

std::optional<std::vector<float>> run_simd_function(const std::string& subject, SimdFunction f,
                                                    std::span<const float> x, std::string* why) {
  if (subject == kCpuNeonName) return cpu_simd::neon_simd_function(f, x, why);
  return cpu_simd::x86_simd_function(subject, f, x, why);  // throws for an unknown subject
}

}  // namespace flashcheck
