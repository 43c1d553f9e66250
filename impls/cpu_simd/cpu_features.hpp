#pragma once
// Whether this x86 CPU (and its OS, which must save the wide registers) can run an
// ISA's kernels: the names of the features it lacks, empty when it has them all.
#include <string>

namespace flashcheck::cpu_simd {
std::string missing_avx2_features();
std::string missing_avx512_features();
}  // namespace flashcheck::cpu_simd
