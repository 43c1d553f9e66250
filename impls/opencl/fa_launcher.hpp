#pragma once
// Runs the flash-attention kernels for one case on the OpenCL device: uploads the
// case's raw storage, picks the path (prefill with its mask prepass, single-query
// decode, or flash-decoding K-split with its merge), launches, reads O and LSE back.
#include <cstdint>
#include <string>
#include <vector>

#include "core/attention_case.hpp"
#include "core/backend.hpp"
#include "impls/opencl/fa_program.hpp"

namespace flashcheck::opencl {

struct OpenClTuning {
  // Single-query rows over more keys than this take the K-split path, in splits of
  // this many keys; the others run in one work-group.
  int64_t decode_split_keys = 512;
};

// Which kernels a case runs through.
enum class LaunchPath { prefill, decode_single, decode_split };
LaunchPath launch_path(const AttentionCase& c, const OpenClTuning& tuning);

class FlashAttentionLauncher {
 public:
  FlashAttentionLauncher(const FlagSet& flags, const OpenClMutant* mutant, OpenClTuning tuning);

  // Throws ClError / ClBuildError / std::invalid_argument on failure.
  RunOutput run(const AttentionCase& c) const;

  // What the prefill prepass decided, [query tile][KV tile] (FA_TILE_* codes:
  // 0 fully masked, 1 mixed, 2 unmasked).
  std::vector<uint8_t> tile_classes(const AttentionCase& c) const;

 private:
  std::string options_;  // the program build: flag set and mutant
  OpenClTuning tuning_;
};

}  // namespace flashcheck::opencl
