#pragma once
// Launch of a tile-kernel instantiation: grid (query tiles, heads, batch x splits), the
// dynamic shared memory the K/V tiles need (above the 48 KiB default for wide heads).
#include <cuda_runtime.h>

#include "impls/cuda/flash_tile_kernel.cuh"

namespace flashcheck::cuda {

template <class Kernel>
inline cudaError_t launch_tile_kernel(Kernel* kernel, const FlashParams& p, cudaStream_t stream) {
  const size_t smem = tile_smem_bytes(p.dk, p.dv);
  const cudaError_t err =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (err != cudaSuccess) return err;
  const dim3 grid((p.lq + kQueryTile - 1) / kQueryTile, p.hq, p.batch * p.num_splits);
  kernel<<<grid, kTileThreads, smem, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace flashcheck::cuda
