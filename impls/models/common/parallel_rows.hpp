#pragma once
// Runs fn(row, worker) for every row in [0, rows) on a few threads. Each row is computed
// by one thread in one fixed order, so results never depend on the thread count, just
// as a GPU's output does not depend on how its work-groups are scheduled. Callers size
// per-worker scratch with worker_count() beforehand, so workers never allocate.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace flashcheck::models {

// threads: the model's chosen worker count, 0 for the hardware concurrency.
inline int64_t worker_count(int64_t rows, int threads) {
  const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
  return std::clamp<int64_t>(threads > 0 ? threads : hardware, 1, std::max<int64_t>(rows, 1));
}

template <class Fn>
void parallel_rows(int64_t rows, int threads, Fn&& fn) {
  const int64_t workers = worker_count(rows, threads);
  std::atomic<int64_t> next{0};
  auto work = [&](int64_t worker) {
    for (int64_t row = next++; row < rows; row = next++) fn(row, worker);
  };
  std::vector<std::jthread> pool;
  for (int64_t t = 1; t < workers; ++t) pool.emplace_back(work, t);
  work(0);
}

}  // namespace flashcheck::models
