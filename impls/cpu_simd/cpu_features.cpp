#include "impls/cpu_simd/cpu_features.hpp"

#if FLASHCHECK_CPU_SIMD_X86
#include <cpuid.h>

#include <span>
#include <utility>

namespace flashcheck::cpu_simd {
namespace {

using Feature = std::pair<const char*, bool>;

std::string missing(std::span<const Feature> features) {
  std::string names;
  for (const auto& [name, present] : features)
    if (!present) names += (names.empty() ? "" : " ") + std::string(name);
  return names;
}

// CPUID.1:ECX bit 29. Asked directly: clang before 15 rejects __builtin_cpu_supports("f16c").
// The OS-state check comes with the avx2 / avx512 entries beside it.
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}

}  // namespace

// __builtin_cpu_supports takes its feature name as a literal only, hence a table per
// ISA. It also checks that the OS saves the ymm / zmm state.
std::string missing_avx2_features() {
  __builtin_cpu_init();
  const Feature features[] = {{"avx2", __builtin_cpu_supports("avx2") != 0},
                              {"fma", __builtin_cpu_supports("fma") != 0},
                              {"f16c", cpu_has_f16c()}};
  return missing(features);
}

std::string missing_avx512_features() {
  __builtin_cpu_init();
  const Feature features[] = {
      {"avx512f", __builtin_cpu_supports("avx512f") != 0},   {"avx512bw", __builtin_cpu_supports("avx512bw") != 0},
      {"avx512dq", __builtin_cpu_supports("avx512dq") != 0}, {"avx512vl", __builtin_cpu_supports("avx512vl") != 0},
      {"fma", __builtin_cpu_supports("fma") != 0},           {"f16c", cpu_has_f16c()}};
  return missing(features);
}

}  // namespace flashcheck::cpu_simd
#else
namespace flashcheck::cpu_simd {
std::string missing_avx2_features() { return "x86-64 (this build targets another architecture)"; }
std::string missing_avx512_features() { return "x86-64 (this build targets another architecture)"; }
}  // namespace flashcheck::cpu_simd
#endif
