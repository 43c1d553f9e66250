// Error metrics on hand-built inputs whose answers follow from the definitions.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/metrics.hpp"

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr float kNaNF = std::numeric_limits<float>::quiet_NaN();

TEST(Metrics, SummarizeUsesNearestRankPercentiles) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);  // order must not matter
  values.push_back(kNaN);
  const Summary s = summarize(values);
  EXPECT_EQ(s.count, 100);
  EXPECT_EQ(s.max, 100.0);
  EXPECT_EQ(s.p50, 50.0);
  EXPECT_EQ(s.p90, 90.0);
  EXPECT_EQ(s.p99, 99.0);
}

TEST(Metrics, SummarizeEdgeCases) {
  const Summary empty = summarize({});
  EXPECT_EQ(empty.count, 0);
  EXPECT_EQ(empty.max, 0.0);
  const Summary only_nan = summarize({kNaN, kNaN});
  EXPECT_EQ(only_nan.count, 0);
  const Summary one = summarize({3.5});
  EXPECT_EQ(one.count, 1);
  EXPECT_EQ(one.p50, 3.5);
  EXPECT_EQ(one.p99, 3.5);
  const Summary with_inf = summarize({1.0, kInf, 2.0});
  EXPECT_EQ(with_inf.max, kInf);
  EXPECT_EQ(with_inf.p50, 2.0);
}

RC_GTEST_PROP(Metrics, SummaryIsOrdered, (std::vector<double> values)) {
  const Summary s = summarize(values);
  int64_t finite_or_inf = 0;
  for (double v : values) finite_or_inf += std::isnan(v) ? 0 : 1;
  RC_ASSERT(s.count == finite_or_inf);
  if (s.count > 0) RC_ASSERT(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
}

TEST(Metrics, NmseMatchesDefinition) {
  const std::vector<float> reference{1.0f, 2.0f, 3.0f};
  const std::vector<float> got{1.0f, 2.0f, 4.0f};
  EXPECT_DOUBLE_EQ(nmse(reference, got), 1.0 / 14.0);
  EXPECT_EQ(nmse(reference, reference), 0.0);
  // The reference (first argument) is the denominator.
  EXPECT_DOUBLE_EQ(nmse(got, reference), 1.0 / 21.0);
  const std::vector<float> shorter{1.0f};
  EXPECT_THROW(nmse(reference, shorter), std::invalid_argument);
}

// Per-element terms are formed in float, as test-backend-ops does, then summed in double.
TEST(Metrics, NmseTermsAreFloat) {
  const std::vector<float> reference{3.0f};
  const std::vector<float> got{0x1.000002p0f};
  // diff = 2 - 2^-23 exactly; diff^2 = 4 - 2^-21 + 2^-46 needs 48 bits, float keeps 4 - 2^-21.
  EXPECT_EQ(nmse(reference, got), (4.0 - 0x1p-21) / 9.0);
  EXPECT_NE(nmse(reference, got), (4.0 - 0x1p-21 + 0x1p-46) / 9.0);
}

TEST(Metrics, UlpDistance) {
  EXPECT_EQ(ulp_distance(DType::f16, 1.0, 1.0 + 0x1p-10), 1);
  EXPECT_EQ(ulp_distance(DType::f16, 1.0 + 0x1p-10, 1.0), 1);
  EXPECT_EQ(ulp_distance(DType::f16, -0x1p-24, 0x1p-24), 2);  // across zero
  EXPECT_EQ(ulp_distance(DType::f16, 0.0, -0.0), 0);
  EXPECT_EQ(ulp_distance(DType::f16, 1.0 - 0x1p-11, 1.0 + 0x1p-10), 2);  // across a binade edge
  EXPECT_EQ(ulp_distance(DType::f16, 65504.0, kInf), 1);
  EXPECT_EQ(ulp_distance(DType::bf16, 2.0 - 0x1p-7, 2.0), 1);
  EXPECT_EQ(ulp_distance(DType::f32, 1.0, 2.0), int64_t{1} << 23);
  EXPECT_EQ(ulp_distance(DType::f32, -1.0, 1.0), 2 * int64_t{0x3f800000});
  EXPECT_THROW(ulp_distance(DType::f32, kNaN, 1.0), std::invalid_argument);
}

struct Columns {
  std::vector<float> got, expected;
  std::vector<double> exact, v_scale;
  void add(float g, float e, double x, double vs) {
    got.push_back(g);
    expected.push_back(e);
    exact.push_back(x);
    v_scale.push_back(vs);
  }
  ErrorInputs inputs(DType t) const { return {got, expected, exact, v_scale, t}; }
};

TEST(Metrics, CompareFiniteElements) {
  Columns c;
  const double exact0 = 1.0 + 0x1p-30;  // rounds to 1.0f
  c.add(1.0f, 1.0f, exact0, 2.0);
  c.add(std::nextafter(1.0f, 2.0f), 1.0f, exact0, 2.0);  // one ulp high
  c.add(0.0f, 0.0f, 0.0, 0.0);                           // 0/0 relative error counts as 0
  c.add(0.5f, 0.5f, 0.5, 0.5);
  const ErrorMetrics m = compare(c.inputs(DType::f32));
  EXPECT_EQ(m.elements, 4);
  EXPECT_EQ(m.nonfinite_where_finite, 0);
  EXPECT_EQ(m.abs_error.count, 4);
  EXPECT_EQ(m.abs_error.max, 0x1p-23 - 0x1p-30);
  EXPECT_EQ(m.v_rel_error.max, (0x1p-23 - 0x1p-30) / 2.0);
  EXPECT_EQ(m.ulp_error.max, 1.0);
  EXPECT_EQ(m.ulp_error.p50, 0.0);
  const double diff = static_cast<double>(std::nextafter(1.0f, 2.0f) - 1.0f);
  EXPECT_EQ(m.nmse, diff * diff / (1.0 + 1.0 + 0.0 + 0.25));
}

TEST(Metrics, CompareNonFinite) {
  Columns c;
  c.add(-kInfF, -kInfF, -kInf, 0.0);  // fully masked row's LSE: correct, zero error
  c.add(kNaNF, kNaNF, kNaN, 0.0);     // NaN policy: correct, zero error
  c.add(kNaNF, 2.0f, 2.0, 1.0);       // NaN where finite: counted, infinite error
  c.add(kInfF, 2.0f, 2.0, 1.0);       // inf where finite: counted
  c.add(3.0f, -kInfF, -kInf, 1.0);    // finite where -inf: mismatch, not a non-finite result
  c.add(kInfF, kInfF, 1e300, 1.0);    // exact overflows the dtype: inf is the correct rounding
  const ErrorMetrics m = compare(c.inputs(DType::f32));
  EXPECT_EQ(m.elements, 6);
  EXPECT_EQ(m.nonfinite_where_finite, 2);
  EXPECT_EQ(m.abs_error.count, 6);
  EXPECT_EQ(m.abs_error.max, kInf);
  EXPECT_EQ(m.abs_error.p50, 0.0);  // three of six are zero...
  EXPECT_EQ(m.abs_error.p90, kInf);  // ...and three infinite
  EXPECT_EQ(m.ulp_error.max, kInf);
  EXPECT_EQ(m.nmse, kInf);
}

TEST(Metrics, CompareAllMatchingNonFiniteIsClean) {
  Columns c;
  c.add(-kInfF, -kInfF, -kInf, 0.0);
  c.add(0.0f, 0.0f, 0.0, 0.0);
  const ErrorMetrics m = compare(c.inputs(DType::f16));
  EXPECT_EQ(m.abs_error.max, 0.0);
  EXPECT_EQ(m.ulp_error.max, 0.0);
  EXPECT_EQ(m.nmse, 0.0);  // all-zero reference, identical output: 0, not 0/0
}

TEST(Metrics, CompareRelativeToZeroVScale) {
  Columns c;
  c.add(0x1p-10f, 0.0f, 0.0, 0.0);  // error where no V was attended: infinitely relative
  const ErrorMetrics m = compare(c.inputs(DType::f16));
  EXPECT_EQ(m.v_rel_error.max, kInf);
  EXPECT_EQ(m.abs_error.max, 0x1p-10);
  EXPECT_EQ(m.ulp_error.max, 5120.0);  // 2^-10 is f16 bit pattern 5 << 10
  EXPECT_EQ(m.nmse, kInf);  // finite error over a zero reference
}

TEST(Metrics, CompareRejectsLengthMismatch) {
  Columns c;
  c.add(1.0f, 1.0f, 1.0, 1.0);
  c.exact.push_back(2.0);
  EXPECT_THROW(compare(c.inputs(DType::f32)), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
