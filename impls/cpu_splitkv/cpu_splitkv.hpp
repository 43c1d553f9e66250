#pragma once
// cpu-splitkv and cpu-paged: flash-decoding on the CPU, written as the GPU kernels
// are (FlashAttention-2's split-KV path, vLLM's paged_attention_v2): the KV sequence
// is cut into chunks, each chunk of each query row runs its own fp32 online softmax
// and writes a partial result, and a separate merge pass combines the partials
// (split_merge.hpp). The paged variants first copy K and V into a paged cache with a
// shuffled block table and read them only through it (paged_kv_cache.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck {

inline constexpr const char* kCpuSplitKvName = "cpu-splitkv";
inline constexpr const char* kCpuSplitKvC16Name = "cpu-splitkv-c16";
inline constexpr const char* kCpuPagedName = "cpu-paged";
inline constexpr const char* kCpuPagedSplitKvName = "cpu-paged-splitkv";

struct SplitKvConfig {
  std::string name;
  int64_t chunk_tokens = 64;  // keys per split; 0: no split, one online softmax over every key
  bool paged = false;         // read K/V through a paged cache's block table
  int threads = 0;            // worker threads, 0 for the hardware concurrency; results do not depend on it
  // Paged variants: which shuffle of the pool's pages the block table maps to (0, the
  // registered variants' choice, or any other seed); results do not depend on it.
  uint64_t page_order_seed = 0;
};

// The variants the registry lists (cpu-splitkv, cpu-splitkv-c16, cpu-paged, cpu-paged-splitkv).
std::vector<SplitKvConfig> registered_splitkv_configs();

// mutant: "" for the correct kernel, else one of the backend's mutants() (a split
// variant has the merge mutants, a paged one the block-table mutant); anything else
// throws std::invalid_argument.
std::unique_ptr<Backend> make_cpu_splitkv_backend(const SplitKvConfig& config, const std::string& mutant = "");

}  // namespace flashcheck
