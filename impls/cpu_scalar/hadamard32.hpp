#pragma once
// Block-32 Walsh-Hadamard rotation H x / sqrt(32) (H in Sylvester order) by in-place
// butterflies, as a rotated-KV kernel applies it to Q before the dot products.
#include <cstdint>

#include "impls/cpu_scalar/build_namespace.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

// Rotates every block of 32 of x (n a multiple of 32) in f32.
void rotate_blocks32(float* x, int64_t n);
// The same butterflies in double, each result rounded once to f32 (the cache write path).
void rotate_blocks32_wide(float* x, int64_t n);

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
