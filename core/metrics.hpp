#pragma once
// Error metrics of a subject's output against the oracle, in the units kernel
// authors use: absolute, relative to the attended V scale, ulps of the output
// dtype, and NMSE exactly as llama.cpp's test-backend-ops computes it.
#include <cstdint>
#include <span>
#include <vector>

#include "core/dtype.hpp"

namespace flashcheck {

struct Summary {
  double max = 0, p50 = 0, p90 = 0, p99 = 0;
  int64_t count = 0;
};
Summary summarize(std::vector<double> values);  // ignores NaN entries

// Element-wise comparison inputs (all of one output tensor, same length).
struct ErrorInputs {
  std::span<const float> got;         // subject output, decoded
  std::span<const float> expected;    // oracle, correctly rounded to the output dtype
  std::span<const double> exact;      // oracle's high-precision value (nearest double)
  std::span<const double> v_scale;    // max |v| over the row's visible keys, per element
  DType out_type = DType::f32;
};

struct ErrorMetrics {
  Summary abs_error;     // |got - exact|
  Summary v_rel_error;   // |got - exact| / v_scale (0 where v_scale is 0 and equal)
  Summary ulp_error;     // ordinal distance to the correctly rounded value, in out_type
  double nmse = 0;       // sum (got - exp)^2 / sum exp^2, as test-backend-ops
  int64_t nonfinite_where_finite = 0;  // got is NaN/Inf where the oracle is finite
  int64_t elements = 0;
};

ErrorMetrics compare(const ErrorInputs& in);

// NMSE as test-backend-ops defines it: sum((a - b)^2) / sum(a^2), a the reference.
double nmse(std::span<const float> reference, std::span<const float> got);
// Distance in representable values of the format between two finite values.
int64_t ulp_distance(DType t, double a, double b);

}  // namespace flashcheck
