#pragma once
// Registers the OpenCL subject: one backend per compiler flag set ("opencl",
// "opencl-finite-math", "opencl-fast-relaxed-math"), each with the seeded mutants.
#include "core/backend.hpp"

namespace flashcheck {
void register_opencl_backends(Registry& r);
}  // namespace flashcheck
