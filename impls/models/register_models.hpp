#pragma once
// The numerics models of kernels that cannot run on this machine (Metal, ESIMD, Hexagon
// HMX): CPU emulations in the arithmetic formats the real kernels use, named model-*.
#include "core/backend.hpp"

namespace flashcheck {
void register_model_backends(Registry& r);
}  // namespace flashcheck
