#pragma once
// Device helpers shared by the kernels: storage decoding and encoding through the
// cuda_fp16.h / cuda_bf16.h conversions, warp-shuffle reductions, and the two
// accumulation types (fp32, and half for cuda-fp16acc).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cfloat>

#include "impls/cuda/device_problem.hpp"
#include "impls/cuda/kernel_params.cuh"

namespace flashcheck::cuda {

constexpr unsigned kFullWarp = 0xffffffffu;
constexpr int kWarpSize = 32;

__device__ __forceinline__ float load_element(const TensorArg& t, long long index) {
  const int type = t.type;
  if (type == static_cast<int>(StorageType::f16))
    return __half2float(__ushort_as_half(reinterpret_cast<const unsigned short*>(t.data)[index]));
  if (type == static_cast<int>(StorageType::bf16))
    return __bfloat162float(__ushort_as_bfloat16(reinterpret_cast<const unsigned short*>(t.data)[index]));
  return reinterpret_cast<const float*>(t.data)[index];
}

__device__ __forceinline__ float load_element(const TensorArg& t, int i0, int i1, long long i2, long long i3) {
  return load_element(t, i0 * t.stride[0] + i1 * t.stride[1] + i2 * t.stride[2] + i3 * t.stride[3]);
}

// Rounds once, to nearest even, into the output storage.
__device__ __forceinline__ void store_element(unsigned char* data, int type, long long index, float value) {
  if (type == static_cast<int>(StorageType::f16))
    reinterpret_cast<unsigned short*>(data)[index] = __half_as_ushort(__float2half_rn(value));
  else if (type == static_cast<int>(StorageType::bf16))
    reinterpret_cast<unsigned short*>(data)[index] = __bfloat16_as_ushort(__float2bfloat16_rn(value));
  else
    reinterpret_cast<float*>(data)[index] = value;
}

// Which value the warp agrees on as the maximum of a tile row: the butterfly reduction,
// or (seeded bug max-lane0) lane 0's own score.
enum class WarpMax : int { butterfly, lane0 };

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullWarp, v, offset));
  return v;
}

template <WarpMax kMax>
__device__ __forceinline__ float warp_row_max(float v) {
  if constexpr (kMax == WarpMax::lane0) return __shfl_sync(kFullWarp, v, 0);
  return warp_max(v);
}

// Accumulation types: the running max, row sum and PV accumulator are held in T; the
// scores and exponentials are always computed in fp32 and rounded into T.
struct Fp32Accumulation {
  using T = float;
  static constexpr float kLowest = -FLT_MAX;  // finite sentinel of the running max
  static __device__ __forceinline__ T from_float(float x) { return x; }
  static __device__ __forceinline__ float to_float(T x) { return x; }
  static __device__ __forceinline__ T add(T a, T b) { return a + b; }
  static __device__ __forceinline__ T mul(T a, T b) { return a * b; }
  static __device__ __forceinline__ T fma(T a, T b, T c) { return fmaf(a, b, c); }
};

struct Fp16Accumulation {
  using T = __half;
  static constexpr float kLowest = -65504.0f;  // the lowest finite half
  static __device__ __forceinline__ T from_float(float x) { return __float2half_rn(x); }
  static __device__ __forceinline__ float to_float(T x) { return __half2float(x); }
  static __device__ __forceinline__ T add(T a, T b) { return __hadd(a, b); }
  static __device__ __forceinline__ T mul(T a, T b) { return __hmul(a, b); }
  static __device__ __forceinline__ T fma(T a, T b, T c) { return __hfma(a, b, c); }
};

template <class Acc>
__device__ __forceinline__ typename Acc::T warp_sum(typename Acc::T v) {
  for (int offset = kWarpSize / 2; offset > 0; offset >>= 1) v = Acc::add(v, __shfl_xor_sync(kFullWarp, v, offset));
  return v;
}

__device__ __forceinline__ float warp_sum_f32(float v) { return warp_sum<Fp32Accumulation>(v); }

}  // namespace flashcheck::cuda
