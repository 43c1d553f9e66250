// Throughput of the exhaustive element-format checks, projected to all 2^32 f32
// inputs: the decision table per format and policy, and each NVIDIA host conversion
// graded against it. The goal: every NVIDIA conversion of the five element
// formats (and E8M0) swept in <= 120 s on a 2-core machine.
//
//   bench_formats [--limit N] [--threads N] [--skip-tables]
//
// --limit samples N inputs spread over the whole f32 range (odd stride), default 2^24;
// --limit 4294967296 runs the full sweeps. --skip-tables times the NVIDIA sweeps only.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "oracle/exhaustive/decision_table.hpp"
#include "oracle/exhaustive/exhaustive_checker.hpp"
#include "oracle/exhaustive/expectation.hpp"
#include "oracle/exhaustive/nvidia_encoders.hpp"
#include "oracle/exhaustive/policy_string.hpp"

namespace {

using namespace flashcheck;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kSpreadStride = 0x9E3779B1u;  // odd: a permutation of all 2^32 patterns
volatile uint64_t g_sink = 0;                     // keeps timed lookups from being optimised away

struct Options {
  uint64_t limit = uint64_t{1} << 24;
  unsigned threads = 0;
  bool tables = true;
};

uint64_t parse_count(std::string_view flag, const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0)
    throw std::invalid_argument(std::string(flag) + " wants a positive integer, got '" + text + "'");
  return value;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--skip-tables") {
      o.tables = false;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + std::string(arg));
    if (arg == "--limit") {
      o.limit = std::min(parse_count(arg, argv[++i]), exhaustive::kAllInputs);
    } else if (arg == "--threads") {
      o.threads = static_cast<unsigned>(parse_count(arg, argv[++i]));
    } else {
      throw std::invalid_argument("unknown option " + std::string(arg) + " (known: --limit N, --threads N, --skip-tables)");
    }
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Table lookups alone (the expected side of every sweep), spread over threads as a sweep is.
double table_rate(const exhaustive::DecisionTable& table, const Options& o) {
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  std::vector<uint64_t> sums(o.threads);
  for (unsigned t = 0; t < o.threads; ++t)
    pool.emplace_back([&, t] {
      uint64_t sum = 0;
      for (uint64_t i = t; i < o.limit; i += o.threads) sum += table.encode_bits(static_cast<uint32_t>(i * kSpreadStride));
      sums[t] = sum;
    });
  for (std::thread& th : pool) th.join();
  const double s = seconds_since(start);
  uint64_t total = 0;
  for (uint64_t v : sums) total += v;
  g_sink = total;
  return static_cast<double>(o.limit) / s;
}

void bench_tables(const Options& o) {
  std::printf("decision tables (%llu inputs each, %u threads)\n", static_cast<unsigned long long>(o.limit), o.threads);
  std::printf("  %-9s %-36s %9s %12s %12s\n", "format", "policy", "build ms", "lookups/s", "2^32 in s");
  double all = 0;
  int combos = 0;
  for (const formats::ElementFormat& f : formats::all_element_formats())
    for (const formats::EncodePolicy& p : exhaustive::legal_policies(f)) {
      const auto start = Clock::now();
      const exhaustive::DecisionTable table(f, p);
      const double build_ms = 1e3 * seconds_since(start);
      const double rate = table_rate(table, o);
      const double projected = static_cast<double>(exhaustive::kAllInputs) / rate;
      all += projected;
      ++combos;
      std::printf("  %-9s %-36s %9.2f %12.3g %12.1f\n", std::string(f.name).c_str(),
                  exhaustive::policy_string(p).c_str(), build_ms, rate, projected);
    }
  std::printf("  all %d format x policy tables over 2^32 inputs: %.0f s projected\n\n", combos, all);
}

void bench_nvidia(const Options& o) {
  if (exhaustive::nvidia_conversions().empty()) {
    std::printf("NVIDIA conversions: not built (cuda_fp8.h not found at configure time)\n");
    return;
  }
  std::printf("NVIDIA host conversions vs decision table (%llu inputs each, %u threads)\n",
              static_cast<unsigned long long>(o.limit), o.threads);
  std::printf("  %-60s %12s %10s %12s\n", "conversion", "inputs/s", "mismatch", "2^32 in s");
  double all = 0;
  for (const exhaustive::NvidiaConversion& c : exhaustive::nvidia_conversions()) {
    const exhaustive::Expectation expect(formats::element_format(c.format), c.policy, c.deviations);
    exhaustive::SweepOptions sweep;
    sweep.count = o.limit;
    sweep.stride = o.limit == exhaustive::kAllInputs ? 1 : kSpreadStride;
    sweep.threads = o.threads;
    const auto start = Clock::now();
    const exhaustive::CheckReport r = exhaustive::check_sweep(
        c.convert_block,
        [&expect](std::span<const uint32_t> in, std::span<uint8_t> out) { expect.code_block(in, out); }, sweep);
    const double rate = static_cast<double>(r.checked) / seconds_since(start);
    const double projected = static_cast<double>(exhaustive::kAllInputs) / rate;
    all += projected;
    std::printf("  %-60s %12.3g %10llu %12.1f\n", std::string(c.call).c_str(), rate,
                static_cast<unsigned long long>(r.mismatches), projected);
  }
  std::printf("  all %zu NVIDIA conversions over 2^32 inputs: %.0f s %s (goal: 120 s)\n",
              exhaustive::nvidia_conversions().size(), all, o.limit == exhaustive::kAllInputs ? "measured" : "projected");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse_options(argc, argv);
    if (o.tables) bench_tables(o);
    bench_nvidia(o);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_formats: %s\n", e.what());
    return 2;
  }
}
