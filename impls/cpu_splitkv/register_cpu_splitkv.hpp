#pragma once
#include "core/backend.hpp"

namespace flashcheck {
// Registers cpu-splitkv, cpu-splitkv-c16, cpu-paged and cpu-paged-splitkv (with their mutants).
void register_cpu_splitkv_backends(Registry& r);
}  // namespace flashcheck
