// The device side of a build without a CUDA compiler: the subjects still exist (same
// names, same host code) but say why they cannot run.
#include <stdexcept>

#include "impls/cuda/device_problem.hpp"

namespace flashcheck::cuda {
namespace {

constexpr const char* kNoCuda = "built without CUDA (no CUDA compiler was found when the project was configured)";

}  // namespace

bool built_with_cuda() { return false; }

std::optional<std::string> device_unavailable_reason() { return std::string(kNoCuda); }

void run_on_device(const DeviceProblem&, KernelVariant, const SplitPlan&, const KernelSwitches&) {
  throw std::runtime_error(kNoCuda);
}

}  // namespace flashcheck::cuda
