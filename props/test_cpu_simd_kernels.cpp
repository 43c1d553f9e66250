// What the matrix does not reach: how the vectorised subjects describe themselves and
// their availability, partial vectors (head dims that are no multiple of the lanes),
// rows strided along the head dimension (gathers and staged loads), thread-count
// invariance, the empty-row contract, and the runner protocol's error path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/generator.hpp"
#include "impls/cpu_simd/cpu_simd.hpp"
#include "impls/cpu_simd/neon_runner_process.hpp"
#include "props/test_cpu_simd_support.hpp"

namespace flashcheck {
namespace {

using cli::CaseOutcome;
using simd_testing::explain;
using simd_testing::grade;
using simd_testing::make_subject;
using simd_testing::unavailable_reason;

const std::vector<std::string>& fp32_subjects() {
  static const std::vector<std::string> names{kCpuAvx2Name, kCpuAvx512Name, kCpuNeonName};
  return names;
}

std::string test_name(const testing::TestParamInfo<std::string>& subject) {
  std::string name = subject.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

RunOutput run_ok(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(b.name() + " did not run: " + r.message);
  return std::move(r.output);
}

bool bitwise_equal(const RunOutput& a, const RunOutput& b) {
  return a.o.storage == b.o.storage && a.lse.size() == b.lse.size() &&
         std::memcmp(a.lse.data(), b.lse.data(), a.lse.size() * sizeof(float)) == 0;
}

// The same values with the head dimension outermost within each (i0, i1): element
// (i0, i1, i2, i3) at stride 1 along i2 and stride shape[2] along i3.
Tensor head_dim_strided(const Tensor& t) {
  Tensor out;
  out.dtype = t.dtype;
  out.shape = t.shape;
  out.strides = {t.shape[1] * t.shape[2] * t.shape[3], t.shape[2] * t.shape[3], 1, t.shape[2]};
  const size_t size = traits(t.dtype).size;
  out.storage.assign(static_cast<size_t>(t.numel()) * size, std::byte{0});
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t c = 0; c < t.shape[2]; ++c)
        for (int64_t d = 0; d < t.shape[3]; ++d)
          out.set_bits(a, b, c, d, t.data() + t.offset(a, b, c, d) * static_cast<int64_t>(size));
  return out;
}

// --- descriptions and availability ---------------------------------------------------

TEST(SimdSubjects, AreAllRegistered) {
  const auto names = simd_testing::simd_registry().names();
  for (const char* name : {kCpuAvx2Name, kCpuAvx512Name, kCpuNeonName, kCpuNeonFp16Name})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(SimdSubjects, Fp32KernelsDeclareEveryFeatureAndNoQuantizedKv) {
  for (const std::string& name : fp32_subjects()) {
    const auto b = make_subject(name);
    EXPECT_EQ(b->name(), name);
    EXPECT_NE(b->description().find("fp32 accumulation"), std::string::npos) << b->description();
    const Capabilities caps = b->capabilities();
    const std::vector<DType> all{DType::f32, DType::f16, DType::bf16};
    EXPECT_EQ(caps.q_types, all);
    EXPECT_EQ(caps.kv_types, all);
    EXPECT_EQ(caps.o_types, all);
    EXPECT_TRUE(caps.causal && caps.window && caps.explicit_mask && caps.alibi && caps.softcap && caps.sinks &&
                caps.gqa && caps.strided && caps.dk_ne_dv && caps.lse);
    EXPECT_TRUE(caps.kv_schemes.empty());
    EXPECT_FALSE(caps.hadamard);
  }
}

TEST(SimdSubjects, Fp16VariantSaysItUsesFp16Arithmetic) {
  const auto b = make_subject(kCpuNeonFp16Name);
  EXPECT_NE(b->description().find("fp16 arithmetic"), std::string::npos) << b->description();
  EXPECT_EQ(b->capabilities().kv_types, std::vector<DType>{DType::f16});
}

TEST(SimdSubjects, X86AvailabilityFollowsTheCpuFeatures) {
  __builtin_cpu_init();
  const bool has_avx2 =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  const bool has_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && has_avx2;
  const std::pair<const char*, bool> expected[] = {{kCpuAvx2Name, has_avx2}, {kCpuAvx512Name, has_avx512}};
  for (const auto& [name, has] : expected) {
    const auto b = make_subject(name);
    std::string why;
    EXPECT_EQ(b->available(&why), has) << name;
    if (has) continue;
    EXPECT_NE(why.find("lacks"), std::string::npos) << why;
    // A backend that cannot run says so instead of executing instructions the CPU lacks.
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 3, .dk = 8, .dv = 8};
    const RunResult result = run_checked(*b, generate(r));
    EXPECT_EQ(result.status, RunResult::Status::unsupported);
    EXPECT_EQ(result.message, why);
  }
}

// --- kernel behaviour, per available fp32 subject --------------------------------------

class SimdKernel : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = make_subject(GetParam());
    if (const std::string why = unavailable_reason(*backend_); !why.empty()) GTEST_SKIP() << why;
  }
  std::unique_ptr<Backend> backend_;
};

// Head dims of no lane multiple (partial vectors and masked tails), Dk != Dv, GQA, a
// decode offset and every option at once, in mixed storage types.
TEST_P(SimdKernel, PartialVectorsPassTheVerdict) {
  struct Variant {
    const char* mask;
    int64_t window;
    DType q, k, v, o;
  };
  const Variant variants[] = {{"causal", 0, DType::f32, DType::f16, DType::f16, DType::f32},
                              {"window", 7, DType::bf16, DType::bf16, DType::bf16, DType::bf16},
                              {"random", 0, DType::f16, DType::f32, DType::f16, DType::f16},
                              {"tile_edges", 0, DType::f32, DType::bf16, DType::f32, DType::f32}};
  uint64_t seed = 300;
  for (const Variant& v : variants) {
    CaseRecipe r;
    r.shape = {.batch = 2, .hq = 6, .hkv = 2, .lq = 9, .lk = 45, .dk = 37, .dv = 19};
    r.q_type = v.q;
    r.k_type = v.k;
    r.v_type = v.v;
    r.o_type = v.o;
    r.mask = v.mask;
    r.window = v.window;
    r.softcap = 20.0f;
    r.max_bias = 8.0f;
    r.sinks = true;
    r.layout = Layout::padded_rows;
    r.seed = ++seed;
    const CaseOutcome out = grade(*backend_, r);
    EXPECT_EQ(out.status, CaseOutcome::Status::pass) << describe(r) << "\n" << out.message << explain(out);
  }
}

// Rows strided along the head dimension take the gather / staged paths; the
// arithmetic is unchanged, so the output is bit for bit the contiguous one.
TEST_P(SimdKernel, HeadDimStridedInputsGiveIdenticalOutput) {
  for (DType kv : {DType::f32, DType::f16, DType::bf16}) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 7, .lk = 29, .dk = 40, .dv = 24};
    r.q_type = kv;
    r.k_type = kv;
    r.v_type = kv;
    r.mask = "random";
    r.max_bias = 4.0f;
    r.seed = 77;
    const AttentionCase plain = generate(r);
    AttentionCase strided = plain;
    strided.q = head_dim_strided(plain.q);
    strided.k = head_dim_strided(plain.k);
    strided.v = head_dim_strided(plain.v);
    strided.mask = head_dim_strided(*plain.mask);
    ASSERT_EQ(validate(strided), "");
    ASSERT_NE(strided.k.strides[3], 1);
    EXPECT_TRUE(bitwise_equal(run_ok(*backend_, plain), run_ok(*backend_, strided))) << dtype_name(kv);
  }
}

TEST_P(SimdKernel, RowsWithoutVisibleKeysGiveZeroAndMinusInfinity) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 16, .lk = 40, .dk = 24, .dv = 24};
  r.mask = "masked_rows";
  r.seed = 11;
  const AttentionCase c = generate(r);
  const RunOutput out = run_ok(*backend_, c);
  int empty_rows = 0;
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 16; ++i) {
      bool any_visible = false;
      for (int64_t j = 0; j < 40; ++j) any_visible |= std::isfinite(c.bias(i, j));
      if (any_visible) continue;
      ++empty_rows;
      EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], -INFINITY);
      for (int64_t col = 0; col < 24; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
    }
  EXPECT_GT(empty_rows, 0);
}

// With a sink and no visible key the sink alone fills the denominator: O = 0, LSE = sink.
TEST_P(SimdKernel, SinkOnlyRowsGiveZeroAndTheSink) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 3, .hkv = 1, .lq = 16, .lk = 40, .dk = 24, .dv = 24};
  r.mask = "masked_rows";
  r.sinks = true;
  r.seed = 12;
  const AttentionCase c = generate(r);
  const RunOutput out = run_ok(*backend_, c);
  int sink_rows = 0;
  for (int64_t h = 0; h < 3; ++h)
    for (int64_t i = 0; i < 16; ++i) {
      bool any_visible = false;
      for (int64_t j = 0; j < 40; ++j) any_visible |= std::isfinite(c.bias(i, j));
      if (any_visible) continue;
      ++sink_rows;
      EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], c.sinks[static_cast<size_t>(h)]);
      for (int64_t col = 0; col < 24; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
    }
  EXPECT_GT(sink_rows, 0);
}

INSTANTIATE_TEST_SUITE_P(Subjects, SimdKernel, testing::ValuesIn(fp32_subjects()), test_name);

// Every row is one thread's work in one fixed order: the thread count changes nothing.
TEST(SimdThreads, ResultsDoNotDependOnTheThreadCount) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 4, .hkv = 2, .lq = 33, .lk = 70, .dk = 64, .dv = 48};
  r.mask = "causal";
  r.softcap = 30.0f;
  r.seed = 5;
  const AttentionCase c = generate(r);
  for (auto make : {&make_cpu_avx2_backend, &make_cpu_avx512_backend}) {
    auto one = make("", 1), three = make("", 3);
    if (const std::string why = unavailable_reason(*one); !why.empty()) {
      std::printf("skipping %s: %s\n", one->name().c_str(), why.c_str());
      continue;
    }
    EXPECT_TRUE(bitwise_equal(run_ok(*one, c), run_ok(*three, c))) << one->name();
  }
}

// cpu-neon-fp16's declared fp16 arithmetic shows in its error: far above cpu-neon's
// fp32 error on the same case, yet small (NMSE well under 5e-4).
TEST(NeonFp16, ItsErrorIsThatOfFp16Arithmetic) {
  auto fp16 = make_subject(kCpuNeonFp16Name);
  auto fp32 = make_subject(kCpuNeonName);
  if (const std::string why = unavailable_reason(*fp16); !why.empty()) GTEST_SKIP() << why;
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 16, .lk = 90, .dk = 64, .dv = 64};
  r.mask = "causal";
  r.seed = 16;
  const CaseOutcome half = grade(*fp16, r);
  const CaseOutcome single = grade(*fp32, r);
  ASSERT_TRUE(half.verdict.has_value() && single.verdict.has_value()) << half.message << single.message;
  EXPECT_EQ(single.status, CaseOutcome::Status::pass) << explain(single);
  EXPECT_GT(half.verdict->o_metrics.nmse, 100 * single.verdict->o_metrics.nmse);
  EXPECT_LT(half.verdict->o_metrics.nmse, 5e-4);
  EXPECT_EQ(half.verdict->o_metrics.nonfinite_where_finite, 0);
}

// --- the runner protocol ----------------------------------------------------------------

TEST(NeonRunner, RejectsAMalformedRequestWithItsReason) {
  if (auto why = cpu_simd::neon_runner_missing()) GTEST_SKIP() << *why;
  const std::vector<std::byte> garbage(16, std::byte{0x5a});
  try {
    cpu_simd::open_response(cpu_simd::run_neon_runner({}, garbage));
    FAIL() << "a malformed request was answered";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad magic"), std::string::npos) << e.what();
  }
}

TEST(NeonRunner, RejectsATruncatedRequest) {
  if (auto why = cpu_simd::neon_runner_missing()) GTEST_SKIP() << *why;
  std::vector<std::byte> truncated(sizeof cpu_simd::wire::kAttentionMagic + 3);
  std::memcpy(truncated.data(), cpu_simd::wire::kAttentionMagic, sizeof cpu_simd::wire::kAttentionMagic);
  try {
    cpu_simd::open_response(cpu_simd::run_neon_runner({}, truncated));
    FAIL() << "a truncated request was answered";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(NeonRunner, ReportsItsCpuFeatures) {
  if (auto why = cpu_simd::neon_runner_missing()) GTEST_SKIP() << *why;
  const std::vector<std::byte> response = cpu_simd::run_neon_runner({"--features"}, {});
  cpu_simd::wire::Reader r = cpu_simd::open_response(response);
  const auto length = r.get<uint64_t>("length");
  const std::string features(reinterpret_cast<const char*>(r.take(length, "features")), length);
  EXPECT_NE(features.find("asimd"), std::string::npos) << features;
}

}  // namespace
}  // namespace flashcheck
