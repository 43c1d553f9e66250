#pragma once
// Entry point of the CUDA subjects (cuda-fp32, cuda-fp16acc, cuda-splitkv).
//
// They are registered in every build. Built without a CUDA compiler, available()
// says "built without CUDA ..."; built with one but run where no usable device is,
// it gives the CUDA runtime's error string (from cudaGetDeviceCount) or names the
// missing device. Listing them either way keeps backend names identical across
// machines and makes a missing toolkit visible instead of silent.
#include "core/backend.hpp"

namespace flashcheck {
void register_cuda_backends(Registry& r);
}  // namespace flashcheck
