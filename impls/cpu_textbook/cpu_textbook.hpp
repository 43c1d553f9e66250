#pragma once
// cpu-textbook: the plain fp32 online-softmax (flash-attention) loop on the CPU,
// written as a kernel author would: raw strided storage in, fp32 arithmetic only.
// It is the reference subject every budget must accept.
#include <memory>

#include "core/backend.hpp"

namespace flashcheck {
inline constexpr const char* kCpuTextbookName = "cpu-textbook";
// threads: worker threads across query rows, 0 for the hardware concurrency. Results
// do not depend on it: every row is computed by one thread in one fixed order.
std::unique_ptr<Backend> make_cpu_textbook_backend(int threads = 0);
}  // namespace flashcheck
