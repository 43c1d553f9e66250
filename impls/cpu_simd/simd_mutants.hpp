#pragma once
// The seeded bugs of the vectorised subjects and the kernel switch each one sets.
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "impls/cpu_simd/kernel_args.hpp"

namespace flashcheck::cpu_simd {

// The mutants the x86 and NEON kernels can be built with.
std::vector<MutantInfo> simd_mutants();
// The max reduction a mutant name selects ("" is the correct kernel); an unknown
// name throws std::invalid_argument listing the known ones.
MaxReduction max_reduction_for(const std::string& subject, const std::string& mutant);

}  // namespace flashcheck::cpu_simd
