#pragma once
// Registers the cpu-scalar subjects: cpu-scalar, cpu-scalar-finite-math,
// cpu-scalar-fast-math, cpu-scalar-tiled and cpu-scalar-setrows.
#include "core/backend.hpp"

namespace flashcheck {
void register_cpu_scalar_backends(Registry& r);
}  // namespace flashcheck
