#include "impls/cuda/register_cuda.hpp"

#include "impls/cuda/cuda_backends.hpp"

namespace flashcheck {

void register_cuda_backends(Registry& r) {
  for (const cuda::CudaSubject& subject : cuda::cuda_subjects()) {
    const cuda::KernelVariant variant = subject.variant;
    r.add(subject.name, Registry::Factory([variant](const std::string& mutant) {
            return cuda::make_cuda_backend(variant, mutant);
          }));
  }
}

}  // namespace flashcheck
