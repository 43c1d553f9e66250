#pragma once
// Shared by the OpenCL suites: device presence, building the backends, running them
// and grading them against the oracle.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cli/case_evaluation.hpp"
#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/opencl/cl_runtime.hpp"
#include "impls/opencl/opencl_backend.hpp"

namespace flashcheck::opencl_tests {

inline constexpr const char* kFlagSetNames[] = {"opencl", "opencl-finite-math", "opencl-fast-relaxed-math"};

// Skips the current test, naming why, when this machine has no usable OpenCL device.
#define FLASHCHECK_SKIP_WITHOUT_OPENCL()                                                                   \
  do {                                                                                                     \
    const auto& opencl_runtime_ = ::flashcheck::opencl::ClRuntime::instance();                             \
    if (!opencl_runtime_.ready()) GTEST_SKIP() << "no OpenCL device: " << opencl_runtime_.unavailable_reason(); \
  } while (0)

inline std::unique_ptr<Backend> make(std::string_view name, const std::string& mutant = "",
                                     opencl::OpenClTuning tuning = {}) {
  return opencl::make_opencl_backend(name, mutant, tuning);
}

inline RunOutput run_ok(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(b.name() + " did not run: " + r.message);
  return std::move(r.output);
}

// The backend's outcome on the case, judged against the (shared) oracle.
inline cli::CaseOutcome grade(Backend& b, const CaseRecipe& r, const AttentionCase& c, cli::LazyOracle& oracle) {
  return cli::evaluate_case(b, describe(r), r, c, oracle);
}

inline std::string explain(const cli::CaseOutcome& o) {
  return o.backend + ": " + cli::status_name(o.status) + " " + o.message +
         (o.verdict ? " " + o.verdict->summary() : std::string());
}

// What the verdict calls a failure of a mutant: the budget is exceeded or a NaN/Inf rule broken.
inline bool verdict_fails(const cli::CaseOutcome& o) {
  return o.status == cli::CaseOutcome::Status::fail && o.verdict && !o.verdict->pass;
}

}  // namespace flashcheck::opencl_tests
