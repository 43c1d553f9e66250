#pragma once
// Translates a case into the raw description the device side reads: storage
// pointers and strides as they are (no host-side repacking: the kernels read
// strided views themselves), the mask split into its structural rule and the
// explicit tensor, and the per-head ALiBi slopes and sinks the host supplies.
#include "core/attention_case.hpp"
#include "core/backend.hpp"
#include "impls/cuda/device_problem.hpp"

namespace flashcheck::cuda {

StorageType storage_type(DType t);

// out.o and out.lse must already be allocated for the case (O [batch][hq][lq][dv]
// in o_type, LSE batch*hq*lq); the problem points into them and into c.
DeviceProblem describe_for_device(const AttentionCase& c, RunOutput& out);

}  // namespace flashcheck::cuda
