#pragma once
// Accumulator drift: how a kernel's error grows with the key length. The plan sweeps
// Lk geometrically on adversarial distributions; at every point the kernel and the
// contract reference (contract_reference.hpp) are measured against the oracle, and
// log2(error) is fitted against log2(Lk). A kernel whose error grows clearly faster
// than the reference's, or leaves the budget, is diagnosed "accumulator drift"
// (docs/tolerance.md states the thresholds and why).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/generator.hpp"

namespace flashcheck {

struct DriftPlan {
  std::vector<std::string> distributions{"same_sign_v", "large_v", "uniform"};
  std::vector<int64_t> key_lengths{64, 256, 1024, 4096, 16384, 65536, 131072};
  CaseShape shape{.batch = 1, .hq = 4, .hkv = 1, .lq = 1, .lk = 0, .dk = 64, .dv = 64};  // lk set per point
  DType kv_type = DType::f32;
  DType accumulation = DType::f32;  // the contract's accumulation precision
  uint64_t seed = 1;
  int oracle_threads = 0;
};

// Default geometric Lk sweep from 64 up to max_lk (x4 per step, max_lk always included).
std::vector<int64_t> geometric_key_lengths(int64_t max_lk);

struct DriftPoint {
  int64_t lk = 0;
  double kernel_error = 0;     // max over elements of |O - exact| / max|v| (V-relative)
  double reference_error = 0;  // the same for the contract reference
  double budget = 0;           // median over elements of budget / max|v|, for the plot
  double worst_budget_ratio = 0;
  bool verdict_pass = true;
  std::string problem;  // a run error or unsupported reason; the point is then left out
};

struct SlopeFit {
  std::optional<double> slope;  // least squares of log2(error) on log2(Lk); nullopt below 3 usable points
  int points = 0;
};
// Points with error <= 0 (exact results) carry no growth information and are skipped.
SlopeFit fit_loglog_slope(std::span<const int64_t> lk, std::span<const double> error);

struct DriftSeries {
  std::string distribution;
  std::vector<DriftPoint> points;
  SlopeFit kernel_fit, reference_fit;
  bool drift = false;     // the diagnosis
  std::string diagnosis;  // one line: why drift, or why not
};

// Slope excess and end-point ratio above which growth counts as drift.
inline constexpr double kDriftSlopeExcess = 0.25;
inline constexpr double kDriftEndRatio = 8.0;

// Fills fits and the diagnosis of a series whose points are measured.
void diagnose_drift(DriftSeries& s);

// Runs the plan on one backend (its verdict per point included). Progress lines go to
// `progress` when given.
std::vector<DriftSeries> run_drift(Backend& backend, const DriftPlan& plan,
                                   void (*progress)(const std::string&) = nullptr);

}  // namespace flashcheck
