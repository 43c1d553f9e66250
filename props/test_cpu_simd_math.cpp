// The kernels' own vectorised expf and tanhf against std::exp / std::tanh in double,
// on dense sweeps: the verdict's budget assumes exp within exp_ulps = 4 f32 ulps, and
// the softcap term assumes a tanhf of a few ulps. Each ISA's code is measured where it
// runs (cpu-neon's in the aarch64 runner under qemu-user).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "impls/cpu_simd/cpu_simd.hpp"

namespace flashcheck {
namespace {

constexpr double kExpUlpsAssumed = 4.0;  // BudgetParams::exp_ulps

// One f32 ulp at the magnitude of the exact value (subnormal spacing below FLT_MIN).
double f32_ulp(double exact) {
  const double a = std::fabs(exact);
  if (a < FLT_MIN) return std::ldexp(1.0, -149);
  return std::ldexp(1.0, std::ilogb(a) - 23);
}

std::vector<float> sweep(float lo, float hi, int points) {
  std::vector<float> x;
  for (int i = 0; i <= points; ++i) x.push_back(lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(points));
  return x;
}

struct WorstError {
  double ulps = 0;
  float x = 0, got = 0;
  double exact = 0;
};

template <class Exact>
WorstError worst_error(const std::vector<float>& x, const std::vector<float>& y, Exact exact) {
  WorstError w;
  for (size_t i = 0; i < x.size(); ++i) {
    const double e = exact(static_cast<double>(x[i]));
    const double ulps = std::fabs(static_cast<double>(y[i]) - e) / f32_ulp(e);
    if (!(ulps <= w.ulps)) w = {ulps, x[i], y[i], e};
  }
  return w;
}

std::string describe(const WorstError& w) {
  char text[200];
  std::snprintf(text, sizeof text, "worst %.3f ulps at x = %.9g (%a): got %.9g (%a), exact %.17g (%a)", w.ulps,
                static_cast<double>(w.x), static_cast<double>(w.x), static_cast<double>(w.got),
                static_cast<double>(w.got), w.exact, w.exact);
  return text;
}

class SimdMath : public testing::TestWithParam<std::string> {
 protected:
  // The subject's function over x, or a skip with the reason.
  std::vector<float> apply(SimdFunction f, const std::vector<float>& x) {
    std::string why;
    auto y = run_simd_function(GetParam(), f, x, &why);
    if (!y) throw Unavailable{why};
    return *y;
  }
  struct Unavailable {
    std::string why;
  };
};

TEST_P(SimdMath, ExpIsWithinTheBudgetsUlpAssumption) {
  // Every result from the subnormal range to just below overflow; the dense part
  // covers where softmax weights live (arguments <= 0).
  std::vector<float> x = sweep(-103.9f, 88.72f, 400000);
  for (float v : sweep(-20.0f, 0.0f, 400000)) x.push_back(v);
  try {
    const std::vector<float> y = apply(SimdFunction::exp, x);
    const WorstError w = worst_error(x, y, [](double v) { return std::exp(v); });
    RecordProperty("exp_worst_ulps", std::to_string(w.ulps));
    std::printf("%s exp: %s\n", GetParam().c_str(), describe(w).c_str());
    EXPECT_LE(w.ulps, kExpUlpsAssumed) << describe(w);
    EXPECT_LE(w.ulps, 2.0) << "expected about 1 ulp from the polynomial: " << describe(w);
  } catch (const Unavailable& u) {
    GTEST_SKIP() << u.why;
  }
}

TEST_P(SimdMath, ExpHandlesTheEdgesOfItsRange) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{0.0f, -0.0f, -inf, inf, std::nanf(""), 89.0f, 88.8f, -110.0f, -104.0f, -1e30f, -FLT_MAX};
  try {
    const std::vector<float> y = apply(SimdFunction::exp, x);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[2], 0.0f);  // masked lanes: exp(-inf - m) must vanish
    EXPECT_EQ(y[3], inf);
    EXPECT_TRUE(std::isnan(y[4]));
    EXPECT_EQ(y[5], inf);
    EXPECT_EQ(y[6], inf);
    EXPECT_EQ(y[7], 0.0f);
    EXPECT_EQ(y[8], 0.0f);
    EXPECT_EQ(y[9], 0.0f);
    EXPECT_EQ(y[10], 0.0f);  // the running max's finite sentinel
  } catch (const Unavailable& u) {
    GTEST_SKIP() << u.why;
  }
}

TEST_P(SimdMath, TanhIsWithinAFewUlps) {
  std::vector<float> x = sweep(-12.0f, 12.0f, 400000);
  for (float v : sweep(-1.0f, 1.0f, 100000)) x.push_back(v);  // both sides of the 0.625 switch
  for (float v : {1e-30f, -1e-30f, 1e-40f, 0.0f, 50.0f, -50.0f, 1e30f}) x.push_back(v);
  try {
    const std::vector<float> y = apply(SimdFunction::tanh, x);
    const WorstError w = worst_error(x, y, [](double v) { return std::tanh(v); });
    std::printf("%s tanh: %s\n", GetParam().c_str(), describe(w).c_str());
    EXPECT_LE(w.ulps, 4.0) << describe(w);
  } catch (const Unavailable& u) {
    GTEST_SKIP() << u.why;
  }
}

INSTANTIATE_TEST_SUITE_P(Subjects, SimdMath,
                         testing::Values(std::string(kCpuAvx2Name), std::string(kCpuAvx512Name),
                                         std::string(kCpuNeonName)),
                         [](const testing::TestParamInfo<std::string>& subject) {
                           std::string name = subject.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

TEST(SimdMathNames, UnknownSubjectIsRejected) {
  std::string why;
  EXPECT_THROW(run_simd_function("cpu-textbook", SimdFunction::exp, std::vector<float>{1.0f}, &why),
               std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
