#pragma once
// A CPU stand-in for a kernel launch: items [0, count) handed out to worker threads
// (the caller's thread among them), each with its own scratch. An item is always
// computed whole by one thread, so results never depend on the thread count.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace flashcheck::splitkv {

template <class ScratchT, class Body>
void parallel_for(int64_t count, std::vector<ScratchT>& scratch, Body body) {
  const int64_t workers = std::clamp<int64_t>(static_cast<int64_t>(scratch.size()), 1, std::max<int64_t>(count, 1));
  std::atomic<int64_t> next{0};
  auto work = [&](ScratchT& w) {
    for (int64_t item = next++; item < count; item = next++) body(item, w);
  };
  std::vector<std::jthread> pool;
  for (int64_t t = 1; t < workers; ++t) pool.emplace_back(work, std::ref(scratch[static_cast<size_t>(t)]));
  work(scratch[0]);
}

}  // namespace flashcheck::splitkv
