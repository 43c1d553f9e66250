#include "oracle/exhaustive/exhaustive_checker.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

namespace flashcheck::exhaustive {

namespace {

constexpr uint64_t kChunk = uint64_t{1} << 20;  // unit of work handed to a thread
constexpr size_t kBlock = 4096;                  // unit handed to an encoder

void record(CheckReport& r, const Mismatch& m, size_t max_examples) {
  ++r.mismatches;
  if (r.examples.size() < max_examples) r.examples.push_back(m);
}

// A worker's share: its first mismatches with their positions in the sweep, so that
// the merged examples are the sweep's first ones whatever thread found them.
struct WorkerReport {
  uint64_t checked = 0;
  uint64_t mismatches = 0;
  std::vector<std::pair<uint64_t, Mismatch>> examples;
};

CheckReport merge(const std::vector<WorkerReport>& parts, size_t max_examples) {
  CheckReport out;
  std::vector<std::pair<uint64_t, Mismatch>> all;
  for (const WorkerReport& part : parts) {
    out.checked += part.checked;
    out.mismatches += part.mismatches;
    all.insert(all.end(), part.examples.begin(), part.examples.end());
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < std::min(all.size(), max_examples); ++i) out.examples.push_back(all[i].second);
  return out;
}

}  // namespace

CheckReport check_inputs(const BlockEncoder& got, const BlockEncoder& expected, std::span<const uint32_t> inputs,
                         size_t max_examples) {
  CheckReport r;
  std::vector<uint8_t> want(kBlock), have(kBlock);
  for (size_t begin = 0; begin < inputs.size(); begin += kBlock) {
    const std::span<const uint32_t> block = inputs.subspan(begin, std::min(kBlock, inputs.size() - begin));
    expected(block, std::span(want).first(block.size()));
    got(block, std::span(have).first(block.size()));
    for (size_t i = 0; i < block.size(); ++i)
      if (want[i] != have[i]) record(r, {block[i], want[i], have[i]}, max_examples);
    r.checked += block.size();
  }
  return r;
}

CheckReport check_sweep(const BlockEncoder& got, const BlockEncoder& expected, const SweepOptions& options) {
  const uint64_t total = std::min(options.count, kAllInputs);
  const uint64_t chunks = (total + kChunk - 1) / kChunk;
  const unsigned threads = std::max(1u, options.threads != 0 ? options.threads : std::thread::hardware_concurrency());
  std::atomic<uint64_t> next_chunk{0};
  std::atomic<uint64_t> done{0};
  std::vector<WorkerReport> parts(threads);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<bool> failed{false};

  auto worker = [&](WorkerReport& part) {
    try {
      std::vector<uint32_t> inputs(kBlock);
      std::vector<uint8_t> want(kBlock), have(kBlock);
      for (uint64_t c = next_chunk++; c < chunks; c = next_chunk++) {
        const uint64_t chunk_end = std::min((c + 1) * kChunk, total);
        for (uint64_t begin = c * kChunk; begin < chunk_end; begin += kBlock) {
          const size_t n = static_cast<size_t>(std::min<uint64_t>(kBlock, chunk_end - begin));
          for (size_t i = 0; i < n; ++i) inputs[i] = static_cast<uint32_t>((begin + i) * options.stride);
          const std::span<const uint32_t> block(inputs.data(), n);
          expected(block, std::span(want).first(n));
          got(block, std::span(have).first(n));
          for (size_t i = 0; i < n; ++i) {
            if (want[i] == have[i]) continue;
            ++part.mismatches;
            if (part.examples.size() < options.max_examples)
              part.examples.push_back({begin + i, {inputs[i], want[i], have[i]}});
          }
        }
        part.checked += chunk_end - c * kChunk;
        done += chunk_end - c * kChunk;
      }
    } catch (...) {
      const std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next_chunk = chunks;  // stop the others early
      failed = true;
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, std::ref(parts[t]));
  if (options.progress) {
    auto last = std::chrono::steady_clock::now();
    while (done.load() < total && !failed.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (std::chrono::steady_clock::now() - last < options.progress_interval) continue;
      last = std::chrono::steady_clock::now();
      options.progress(done.load(), total);
    }
  }
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (options.progress) options.progress(done.load(), total);
  return merge(parts, options.max_examples);
}

std::string describe(const Mismatch& m) {
  const float x = std::bit_cast<float>(m.input);
  char line[160];
  std::snprintf(line, sizeof line, "input 0x%08" PRIx32 " (%a = %.9g) expected 0x%02x got 0x%02x", m.input,
                static_cast<double>(x), static_cast<double>(x), unsigned{m.expected}, unsigned{m.got});
  return line;
}

std::string describe(const CheckReport& r) {
  std::string out = std::to_string(r.mismatches) + " mismatch(es) in " + std::to_string(r.checked) + " inputs\n";
  for (const Mismatch& m : r.examples) out += "  " + describe(m) + "\n";
  return out;
}

}  // namespace flashcheck::exhaustive
