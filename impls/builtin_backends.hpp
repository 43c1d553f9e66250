#pragma once
#include "core/backend.hpp"

namespace flashcheck {
// Registers every subject compiled into this build.
void register_builtin_backends(Registry& r);
Registry& builtin_registry();  // a registry already holding them
}  // namespace flashcheck
