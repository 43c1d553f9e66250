#pragma once
// The OpenCL flash-attention subject, written the way the seed-004 Adreno kernels are:
// prefill with a mask prepass and 32-key KV tiles in local memory, single-query decode
// and flash-decoding K-split, f32/f16/bf16 and native q8_0/q4_0 K/V, fp32 accumulation
// and finite sentinels. One backend per compiler flag set (see fa_program.hpp).
#include <memory>
#include <string>
#include <string_view>

#include "core/backend.hpp"
#include "impls/opencl/fa_launcher.hpp"

namespace flashcheck::opencl {

// backend_name: a flag set's name ("opencl", "opencl-finite-math",
// "opencl-fast-relaxed-math"); mutant: "" or one of opencl_mutants(). Throws
// std::invalid_argument for an unknown flag set or mutant.
std::unique_ptr<Backend> make_opencl_backend(std::string_view backend_name, const std::string& mutant = "",
                                             OpenClTuning tuning = {});

}  // namespace flashcheck::opencl
