#pragma once
// model-hexagon-hmx: ggml-hexagon's HMX flash-attention prefill kernel (seed 000) with fp16
// Q/K/V operands, emulated on the CPU. Its fp16 roundings of Q and P are outside an fp32
// accumulation contract; it is meant to be graded under an fp16-operand contract.
#include <memory>
#include <string>

#include "core/backend.hpp"

namespace flashcheck::models {
inline constexpr const char* kHexagonHmxName = "model-hexagon-hmx";
// mutant: "" for the kernel with the seed's fix (fp32 softmax statistics), or a name from mutants().
std::unique_ptr<Backend> make_hexagon_hmx_backend(const std::string& mutant = "");
}  // namespace flashcheck::models
