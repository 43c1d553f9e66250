#include "impls/cpu_simd/register_cpu_simd.hpp"

#include "impls/cpu_simd/cpu_simd.hpp"

namespace flashcheck {

void register_cpu_simd_backends(Registry& r) {
  r.add(kCpuAvx2Name, [](const std::string& mutant) { return make_cpu_avx2_backend(mutant); });
  r.add(kCpuAvx512Name, [](const std::string& mutant) { return make_cpu_avx512_backend(mutant); });
  r.add(kCpuNeonName, [](const std::string& mutant) { return make_cpu_neon_backend(mutant); });
  r.add(kCpuNeonFp16Name, [] { return make_cpu_neon_fp16_backend(); });
}

}  // namespace flashcheck
