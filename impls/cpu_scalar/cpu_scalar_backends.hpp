#pragma once
// The cpu-scalar subjects: ggml's CPU flash_attn_ext kernels (one-chunk and tiled), the
// one-chunk kernel under three compiler-flag sets, and the quantized-cache write path
// followed by the kernel.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/backend.hpp"
#include "impls/cpu_scalar/mutants.hpp"

namespace flashcheck::cpu_scalar {

enum class Variant : uint8_t { one_chunk, one_chunk_finite_math, one_chunk_fast_math, tiled, setrows };

std::span<const Variant> all_variants();
std::string_view variant_name(Variant v);  // the registry name, e.g. "cpu-scalar-tiled"
// The seeded bugs that variant can be built with.
std::vector<Mutant> variant_mutants(Variant v);

// mutant: "" for the correct kernel, else a name from variant_mutants(v) (anything else
// throws std::invalid_argument). threads: workers over query rows, 0 for the hardware
// concurrency; results never depend on it.
std::unique_ptr<Backend> make_backend(Variant v, const std::string& mutant, int threads = 0);

}  // namespace flashcheck::cpu_scalar
