#pragma once
// Host-side launchers of the kernels (flash_forward.cu, flash_decoding.cu). Each
// returns the launch's CUDA error; the caller synchronises.
#include <cuda_runtime.h>

#include "impls/cuda/kernel_params.cuh"

namespace flashcheck::cuda {

enum class Accumulation : int { fp32, fp16 };

// cuda-fp32 / cuda-fp16acc: one pass, normalised O and LSE. max_lane0 builds the mutant.
cudaError_t launch_flash_forward(const FlashParams& p, Accumulation accumulation, bool max_lane0,
                                 cudaStream_t stream);

// cuda-splitkv: the partial pass over p.num_splits key chunks, then the merge.
// rescale = false builds the merge-no-rescale mutant.
cudaError_t launch_split_partials(const FlashParams& p, cudaStream_t stream);
cudaError_t launch_merge_splits(const FlashParams& p, bool rescale, cudaStream_t stream);

}  // namespace flashcheck::cuda
