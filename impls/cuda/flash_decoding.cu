// Launchers of flash-decoding (cuda-splitkv): the tile kernel's partial pass over key
// chunks (flash_tile_kernel.cuh with kSplit), then the merge (merge_splits_kernel.cuh).
#include "impls/cuda/kernel_launch.cuh"
#include "impls/cuda/merge_splits_kernel.cuh"
#include "impls/cuda/tile_launch.cuh"

namespace flashcheck::cuda {

cudaError_t launch_split_partials(const FlashParams& p, cudaStream_t stream) {
  return launch_tile_kernel(flash_tile_kernel<Fp32Accumulation, WarpMax::butterfly, true>, p, stream);
}

cudaError_t launch_merge_splits(const FlashParams& p, bool rescale, cudaStream_t stream) {
  const long long rows = static_cast<long long>(p.batch) * p.hq * p.lq;
  const unsigned blocks = static_cast<unsigned>((rows + kMergeWarps - 1) / kMergeWarps);
  if (rescale)
    merge_splits_kernel<true><<<blocks, kMergeThreads, 0, stream>>>(p);
  else
    merge_splits_kernel<false><<<blocks, kMergeThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace flashcheck::cuda
