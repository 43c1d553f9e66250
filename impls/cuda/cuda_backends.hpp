#pragma once
// The CUDA subjects: one Backend class over a table of kernel variants (cuda-fp32,
// cuda-fp16acc, cuda-splitkv) and their seeded bugs. Host code only; the kernels
// sit behind impls/cuda/device_problem.hpp.
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "impls/cuda/device_problem.hpp"

namespace flashcheck::cuda {

inline constexpr const char* kCudaFp32Name = "cuda-fp32";
inline constexpr const char* kCudaFp16AccName = "cuda-fp16acc";
inline constexpr const char* kCudaSplitKvName = "cuda-splitkv";

struct CudaSubject {
  KernelVariant variant;
  const char* name;
  const char* description;
  std::vector<MutantInfo> mutants;
};

// Every CUDA subject, in registration order.
const std::vector<CudaSubject>& cuda_subjects();

// The variant with the named mutant switched on ("" for the correct kernel); an unknown
// mutant throws std::invalid_argument. requested_splits (cuda-splitkv only, 0 = the
// automatic plan) forces the number of key chunks; see split_plan.hpp.
std::unique_ptr<Backend> make_cuda_backend(KernelVariant variant, const std::string& mutant = {},
                                           int requested_splits = 0);

}  // namespace flashcheck::cuda
