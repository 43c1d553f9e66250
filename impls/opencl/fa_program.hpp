#pragma once
// What one build of the flash-attention program is made of: the flag set (one backend
// each) and the seeded bug if any (a -D define). Storage types and head dimensions
// are runtime values of the parameter block, so one build per (flag set, mutant)
// serves every case: program builds cost seconds on PoCL.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/attention_case.hpp"
#include "core/backend.hpp"

namespace flashcheck::opencl {

// Work shape, passed to the program as defines so host and kernels agree.
inline constexpr int kBlockM = 32;    // query rows per prefill work-group
inline constexpr int kBlockN = 32;    // keys per KV tile
inline constexpr int kDecodeWg = 32;  // work-items sharing one decode row
inline constexpr int64_t kMaxHeadDim = 256;  // private Q row / accumulator capacity

// Storage codes shared with fa_common.cl (FA_T_*).
enum class StorageCode : int32_t { none = -1, f32 = 0, f16 = 1, bf16 = 2, q8_0 = 3, q4_0 = 4 };

StorageCode storage_code(DType t);
// The storage K or V is read from: its dtype, or its block scheme when quantized.
// Throws std::invalid_argument for a block scheme the kernels do not read.
StorageCode kv_storage_code(DType t, const std::optional<QuantizedKv>& quant);

// Local memory the largest kernel needs for these head dimensions, in bytes.
size_t local_mem_needed(int64_t dk, int64_t dv);

// A set of OpenCL compiler flags; each is its own backend.
struct FlagSet {
  std::string_view backend_name;
  std::string_view flags;  // appended to every program build
  std::string_view description;
};
std::span<const FlagSet> flag_sets();
const FlagSet* find_flag_set(std::string_view backend_name);

// A seeded bug: its catalogue row and the define that switches it on in the kernels.
struct OpenClMutant {
  MutantInfo info;
  std::string define;
};
const std::vector<OpenClMutant>& opencl_mutants();
const OpenClMutant* find_opencl_mutant(std::string_view name);

// The full clBuildProgram option string.
std::string program_options(const FlagSet& flags, const OpenClMutant* mutant);

}  // namespace flashcheck::opencl
