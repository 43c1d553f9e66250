#pragma once
// Shared helpers of the model-* suites: run a model, grade it against the oracle, and
// print what differs in decimal and hex.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli/case_evaluation.hpp"
#include "core/case_transforms.hpp"
#include "core/backend.hpp"
#include "core/generator.hpp"
#include "core/metrics.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck::models::testing {

inline std::string hex_and_decimal(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", x, x);
  return buf;
}

inline RunOutput run_ok(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(b.name() + " did not run: " + r.message);
  return std::move(r.output);
}

// One case graded: the output, the oracle and the verdict.
struct Graded {
  AttentionCase c;
  RunOutput out;
  OracleResult oracle;
  Verdict verdict;
};

inline Graded grade(Backend& b, const CaseRecipe& r) {
  Graded g;
  g.c = generate(r);
  g.out = run_ok(b, g.c);
  g.oracle = run_oracle(g.c, cli::oracle_options_for(g.c, 0));
  g.verdict = judge(g.c, g.oracle, g.out);
  return g;
}

// NMSE of O against the oracle's correctly rounded O (test-backend-ops' definition),
// over rows with a visible key.
inline double o_nmse(const Graded& g) {
  std::vector<float> got, expected;
  const auto& s = g.c.shape;
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    if (g.oracle.fully_masked[static_cast<size_t>(row)]) continue;
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
    for (int64_t col = 0; col < s.dv; ++col) {
      got.push_back(static_cast<float>(g.out.o.get(b, h, i, col)));
      expected.push_back(g.oracle.o[static_cast<size_t>(row * s.dv + col)]);
    }
  }
  return nmse(expected, got);
}

// Largest |O - exact| / max|V| of the row, over rows with a visible key.
inline double max_v_relative_error(const Graded& g) {
  const auto& s = g.c.shape;
  double worst = 0;
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    if (g.oracle.fully_masked[static_cast<size_t>(row)]) continue;
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const double scale = g.oracle.v_scale[e] > 0 ? g.oracle.v_scale[e] : 1.0;
      const double err = std::fabs(g.out.o.get(b, h, i, col) - g.oracle.o_exact[e]) / scale;
      worst = std::isnan(err) ? err : std::max(worst, err);
      if (std::isnan(worst)) return worst;
    }
  }
  return worst;
}

inline std::string verdict_report(const Verdict& v) {
  std::string s = v.summary();
  for (const auto& m : v.worst) s += "\n  " + m.describe();
  return s;
}

// Bitwise equality of two outputs; the first difference is reported in decimal and hex.
inline ::testing::AssertionResult identical(const RunOutput& a, const RunOutput& b) {
  if (a.o.shape != b.o.shape || a.lse.size() != b.lse.size()) return ::testing::AssertionFailure() << "shapes differ";
  for (int64_t i0 = 0; i0 < a.o.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.o.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.o.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.o.shape[3]; ++i3) {
          const double x = a.o.get(i0, i1, i2, i3), y = b.o.get(i0, i1, i2, i3);
          if (std::memcmp(&x, &y, sizeof x) != 0)
            return ::testing::AssertionFailure() << "O[" << i0 << "," << i1 << "," << i2 << "," << i3
                                                 << "]: " << hex_and_decimal(x) << " vs " << hex_and_decimal(y);
        }
  for (size_t r = 0; r < a.lse.size(); ++r)
    if (std::memcmp(&a.lse[r], &b.lse[r], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "LSE[" << r << "]: " << hex_and_decimal(a.lse[r]) << " vs "
                                           << hex_and_decimal(b.lse[r]);
  return ::testing::AssertionSuccess();
}

// A short line of what the oracle said about a subject's output, for the test log.
inline void print_grade(const char* label, const Graded& g) {
  std::printf("%s: %s, worst error/budget %.3g, NMSE %.3g, max |O - exact| / max|V| %.3g\n", label,
              g.verdict.pass ? "pass" : "FAIL", g.verdict.worst_budget_ratio, o_nmse(g), max_v_relative_error(g));
  if (!g.verdict.worst.empty()) std::printf("  worst: %s\n", g.verdict.worst.front().describe().c_str());
}

}  // namespace flashcheck::models::testing
