// Instantiations and launcher of the one-pass tile kernel (cuda-fp32, cuda-fp16acc).
#include "impls/cuda/tile_launch.cuh"
#include "impls/cuda/kernel_launch.cuh"

namespace flashcheck::cuda {
namespace {

using TileKernel = void(const FlashParams);

// Indexed by [Accumulation][max_lane0].
TileKernel* const kForwardKernels[2][2] = {
    {flash_tile_kernel<Fp32Accumulation, WarpMax::butterfly, false>,
     flash_tile_kernel<Fp32Accumulation, WarpMax::lane0, false>},
    {flash_tile_kernel<Fp16Accumulation, WarpMax::butterfly, false>,
     flash_tile_kernel<Fp16Accumulation, WarpMax::lane0, false>},
};

}  // namespace

cudaError_t launch_flash_forward(const FlashParams& p, Accumulation accumulation, bool max_lane0,
                                 cudaStream_t stream) {
  TileKernel* kernel = kForwardKernels[static_cast<int>(accumulation)][max_lane0 ? 1 : 0];
  return launch_tile_kernel(kernel, p, stream);
}

}  // namespace flashcheck::cuda
