#pragma once
// Shared by the cpu-splitkv suites: building the subjects, running them, grading
// them against the oracle and comparing outputs bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/cpu_splitkv/cpu_splitkv.hpp"
#include "impls/cpu_splitkv/register_cpu_splitkv.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck::splitkv_tests {

inline const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_cpu_splitkv_backends(reg);
    return reg;
  }();
  return r;
}

inline std::unique_ptr<Backend> make(const std::string& spec) {
  auto b = registry().make(spec);
  if (!b) throw std::runtime_error("not registered: " + spec);
  return b;
}

inline RunOutput run_ok(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(b.name() + " did not run: " + r.message);
  return std::move(r.output);
}

inline RunOutput run_ok(const std::string& spec, const AttentionCase& c) {
  auto b = make(spec);
  return run_ok(*b, c);
}

inline RunOutput run_ok(const SplitKvConfig& config, const AttentionCase& c) {
  auto b = make_cpu_splitkv_backend(config);
  return run_ok(*b, c);
}

inline OracleResult oracle_of(const AttentionCase& c) {
  OracleOptions opts;
  opts.out_type = c.o_type;
  opts.threads = 2;
  return run_oracle(c, opts);
}

// Decimal and %a forms, as every mismatch report gives them.
inline std::string fmt_value(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", x, x);
  return buf;
}

inline uint64_t bits_of(double x) { return std::bit_cast<uint64_t>(x); }

// The first element where two outputs differ in their bits (O as stored, LSE), or "".
inline std::string first_difference(const RunOutput& a, const RunOutput& b) {
  if (a.o.shape != b.o.shape || a.lse.size() != b.lse.size()) return "shapes differ";
  for (int64_t i0 = 0; i0 < a.o.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.o.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.o.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.o.shape[3]; ++i3) {
          const double x = a.o.get(i0, i1, i2, i3), y = b.o.get(i0, i1, i2, i3);
          if (bits_of(x) != bits_of(y))
            return "O[" + std::to_string(i0) + "," + std::to_string(i1) + "," + std::to_string(i2) + "," +
                   std::to_string(i3) + "]: " + fmt_value(x) + " vs " + fmt_value(y);
        }
  for (size_t i = 0; i < a.lse.size(); ++i)
    if (std::bit_cast<uint32_t>(a.lse[i]) != std::bit_cast<uint32_t>(b.lse[i]))
      return "LSE[" + std::to_string(i) + "]: " + fmt_value(a.lse[i]) + " vs " + fmt_value(b.lse[i]);
  return {};
}

}  // namespace flashcheck::splitkv_tests
