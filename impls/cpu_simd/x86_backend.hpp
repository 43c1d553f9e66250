#pragma once
// cpu-avx2 and cpu-avx512: one Backend class over a table of x86 ISAs.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "impls/cpu_simd/cpu_simd.hpp"

namespace flashcheck::cpu_simd {

// f over x with the ISA's own vectorised code (subject: cpu-avx2 or cpu-avx512).
std::optional<std::vector<float>> x86_simd_function(const std::string& subject, SimdFunction f,
                                                    std::span<const float> x, std::string* why);

}  // namespace flashcheck::cpu_simd
