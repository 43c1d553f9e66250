#pragma once
// Kernel-side headers live in the namespace of the flag set they are compiled under
// (see kernel_entry.hpp): inline code compiled with -ffast-math must never be merged
// with the same inline code compiled without it.
#ifndef FLASHCHECK_CPU_SCALAR_BUILD
#error "cpu_scalar kernel sources are compiled through the flag-set object libraries (FLASHCHECK_CPU_SCALAR_BUILD)"
#endif
