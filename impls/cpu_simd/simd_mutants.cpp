#include "impls/cpu_simd/simd_mutants.hpp"

#include <stdexcept>

#include "impls/cpu_simd/cpu_simd.hpp"

namespace flashcheck {

MutantInfo max_lane0_mutant() {
  return {kMaxLane0Mutant, "002", "wrong-result",
          "the horizontal max over a block's key lanes returns lane 0, so the running max can sit below the "
          "block's scores and exp overflows (or a masked lane 0 leaves the -inf sentinel)"};
}

namespace cpu_simd {

std::vector<MutantInfo> simd_mutants() { return {max_lane0_mutant()}; }

MaxReduction max_reduction_for(const std::string& subject, const std::string& mutant) {
  if (mutant.empty()) return MaxReduction::all_lanes;
  if (mutant == kMaxLane0Mutant) return MaxReduction::lane0;
  throw std::invalid_argument(subject + " has no mutant '" + mutant + "' (mutants: " + kMaxLane0Mutant + ")");
}

}  // namespace cpu_simd
}  // namespace flashcheck
