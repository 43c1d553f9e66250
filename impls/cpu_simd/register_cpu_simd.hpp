#pragma once
#include "core/backend.hpp"

namespace flashcheck {
// Registers cpu-avx2, cpu-avx512, cpu-neon and cpu-neon-fp16 (each says whether it can run here).
void register_cpu_simd_backends(Registry& r);
}  // namespace flashcheck
