#pragma once
// model-metal-steel: MLX's fused scaled_dot_product_attention Metal kernel
// (steel_attention, seed 003: logsumexp output), emulated on the CPU in its float arithmetic.
#include <memory>
#include <string>

#include "core/backend.hpp"

namespace flashcheck::models {
inline constexpr const char* kMetalSteelName = "model-metal-steel";
// mutant: "" for the kernel as MLX ships it, or a name from its mutants().
std::unique_ptr<Backend> make_metal_steel_backend(const std::string& mutant = "");
}  // namespace flashcheck::models
