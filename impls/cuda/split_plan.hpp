#pragma once
// How cuda-splitkv (flash-decoding) cuts the keys into chunks, one partial kernel
// block per chunk. Pure host arithmetic, so it is tested without a device.
#include <cstdint>

#include "impls/cuda/device_problem.hpp"

namespace flashcheck::cuda {

inline constexpr int kAutoSplitKeys = 256;  // keys per chunk the automatic plan aims at
inline constexpr int kMaxAutoSplits = 32;   // beyond this the merge costs more than it saves

// requested_splits > 0 forces that many chunks (trailing ones may then be empty, which
// the merge must tolerate); 0 aims at ceil(lk / kAutoSplitKeys) chunks, at most
// kMaxAutoSplits, none of them empty. Every chunk holds whole kKeyTile tiles and the
// chunks together cover [0, lk).
SplitPlan plan_splits(int64_t lk, int requested_splits);

}  // namespace flashcheck::cuda
