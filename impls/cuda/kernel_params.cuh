#pragma once
// What every CUDA kernel of the subjects receives: device pointers, element strides
// and storage codes (impls/cuda/device_problem.hpp), passed by value as one struct.
#include "impls/cuda/device_problem.hpp"

namespace flashcheck::cuda {

struct TensorArg {
  const unsigned char* data;  // whole storage, element strides below
  long long stride[4];
  int type;  // StorageType
};

struct FlashParams {
  TensorArg q, k, v;
  TensorArg mask;  // data == nullptr: no explicit mask
  unsigned char* o;
  long long o_stride[4];
  int o_type;
  float* lse;  // [batch][hq][lq]

  const float* slopes;  // [hq]: 1 without ALiBi
  const float* sinks;   // [hq], or nullptr
  int batch, hq, hkv, lq, lk, dk, dv;
  int structural;  // StructuralMask
  long long window;
  float scale, softcap;
  int alibi;

  // Flash-decoding: the block for split s covers keys [s * keys_per_split, +keys_per_split)
  // and writes its unnormalised accumulator and (max, sum) to the partial buffers.
  int num_splits;  // 1 outside flash-decoding
  int keys_per_split;
  float* partial_acc;  // [rows][num_splits][dv]
  float* partial_max;  // [rows][num_splits]
  float* partial_sum;  // [rows][num_splits]
};

}  // namespace flashcheck::cuda
