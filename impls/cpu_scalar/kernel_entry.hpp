#pragma once
// Entry points of the cpu-scalar kernel sources. The same sources are compiled once per
// compiler-flag set (default, -ffinite-math-only, -ffast-math); each compilation puts
// its symbols in its own namespace, so the three builds link side by side.
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "impls/cpu_scalar/mutants.hpp"

namespace flashcheck::cpu_scalar {

struct KernelOptions {
  Mutant mutant = Mutant::none;
  int threads = 0;  // worker threads over query rows; 0: the hardware concurrency
};

using KernelFn = RunOutput (*)(const AttentionCase& c, const KernelOptions& o);

namespace build_standard {
// ggml's one-chunk loop: one query row at a time, online softmax over every key.
RunOutput flash_attn_one_chunk(const AttentionCase& c, const KernelOptions& o);
// ggml's tiled loop: a tile of query rows against a tile of keys at a time.
RunOutput flash_attn_tiled(const AttentionCase& c, const KernelOptions& o);
// The KV-cache write path (ggml's set_rows into a quantized cache): quantizes `source`
// ([batch][heads][tokens][dim], f32) token row by token row into the bytes of `scheme`
// in `layout`, rotating every block first when `hadamard`. Honours Mutant::mx_scale_round.
std::vector<uint8_t> set_rows(const Tensor& source, const std::string& scheme, KvRowLayout layout, bool hadamard,
                              Mutant mutant);
// The values the kernel reads out of a quantized cache, [batch][heads][tokens][dim] f32.
Tensor read_kv_cache(const QuantizedKv& q, Mutant mutant);
}  // namespace build_standard

namespace build_finite_math {
RunOutput flash_attn_one_chunk(const AttentionCase& c, const KernelOptions& o);
Tensor read_kv_cache(const QuantizedKv& q, Mutant mutant);
}  // namespace build_finite_math

namespace build_fast_math {
RunOutput flash_attn_one_chunk(const AttentionCase& c, const KernelOptions& o);
Tensor read_kv_cache(const QuantizedKv& q, Mutant mutant);
}  // namespace build_fast_math

}  // namespace flashcheck::cpu_scalar
