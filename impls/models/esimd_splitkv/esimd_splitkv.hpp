#pragma once
// model-esimd-splitkv: the ESIMD (Intel GPU, SYCL) prefill flash attention of seed 002
// with its split-KV design: paged KV cache with a block table, GQA, causal masking,
// kBr = 4 query rows x kBc = 16 keys, per-partition partials merged by log-sum-exp.
#include <memory>
#include <string>

#include "core/backend.hpp"

namespace flashcheck::models {
inline constexpr const char* kEsimdSplitKvName = "model-esimd-splitkv";
// mutant: "" for the kernel as the seed's final commit describes it, or a name from mutants().
std::unique_ptr<Backend> make_esimd_splitkv_backend(const std::string& mutant = "");
}  // namespace flashcheck::models
