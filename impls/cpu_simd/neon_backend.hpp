#pragma once
// cpu-neon and cpu-neon-fp16: host-side backends that ship the case to the aarch64
// runner (neon_runner_process.hpp) and read its output back.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "impls/cpu_simd/cpu_simd.hpp"

namespace flashcheck::cpu_simd {

// f over x with the NEON kernel's own vectorised code, in the runner.
std::optional<std::vector<float>> neon_simd_function(SimdFunction f, std::span<const float> x, std::string* why);

}  // namespace flashcheck::cpu_simd
