// The cpu-scalar kernels on their own: their bit conversions against the harness codecs,
// the Q rotation against the exact one, the empty-row and sink conventions in every
// build, and the invariances a correct kernel has bit for bit (threads, layout).
#define FLASHCHECK_CPU_SCALAR_BUILD build_standard  // the kernel-side headers' default-flag namespace
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "impls/cpu_scalar/cpu_scalar_backends.hpp"
#include "impls/cpu_scalar/hadamard32.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "impls/cpu_scalar/scalar_convert.hpp"
#include "props/support/random_recipe.hpp"
#include "props/test_cpu_scalar_support.hpp"
#include "props/support/identical_outputs.hpp"

namespace flashcheck {

inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

namespace k = cpu_scalar::build_standard;
using cpu_scalar::KernelFn;
using cpu_scalar::Mutant;

// Deterministic 32-bit patterns (splitmix-style), for sweeps over f32 encodings.
uint32_t pattern(uint64_t i) {
  uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<uint32_t>(z ^ (z >> 31));
}

std::string hex(float x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", static_cast<double>(x), static_cast<double>(x));
  return buf;
}

TEST(CpuScalarConvert, F16DecodeMatchesTheHarnessForEveryCode) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const double want = f16_bits_to_double(static_cast<uint16_t>(h));
    const float got = k::f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << h;
      continue;
    }
    ASSERT_EQ(std::bit_cast<uint64_t>(static_cast<double>(got)), std::bit_cast<uint64_t>(want)) << h << " " << hex(got);
  }
}

void expect_f16_encoding(float x) {
  const uint16_t got = k::f32_to_f16(x);
  if (std::isnan(x)) {
    EXPECT_TRUE(std::isnan(f16_bits_to_double(got))) << hex(x);
    return;
  }
  ASSERT_EQ(got, f16_bits_from_double(static_cast<double>(x))) << hex(x);
}

// Every f16 value, its f32 neighbours, and the midpoints to the next f16 with theirs:
// each rounding boundary from both sides; then scattered f32 encodings.
TEST(CpuScalarConvert, F16EncodeRoundsToNearestEvenLikeTheHarness) {
  for (uint32_t h = 0; h < 0x7C00u; ++h) {
    for (float sign : {1.0f, -1.0f}) {
      const float x = sign * static_cast<float>(f16_bits_to_double(static_cast<uint16_t>(h)));
      const float next = sign * static_cast<float>(f16_bits_to_double(static_cast<uint16_t>(h + 1)));
      const float mid = (x + next) / 2.0f;  // exact: 12 significant bits
      for (float y : {x, mid}) {
        expect_f16_encoding(y);
        expect_f16_encoding(std::nextafter(y, 0.0f));
        expect_f16_encoding(std::nextafter(y, 2.0f * y));
      }
    }
  }
  for (uint64_t i = 0; i < (uint64_t{1} << 20); ++i) expect_f16_encoding(std::bit_cast<float>(pattern(i)));
}

TEST(CpuScalarConvert, Bf16RoundTripsAndRoundsToNearestEven) {
  for (uint32_t b = 0; b < 0x10000u; ++b) {
    const double want = bf16_bits_to_double(static_cast<uint16_t>(b));
    const float got = k::bf16_to_f32(static_cast<uint16_t>(b));
    if (std::isnan(want)) continue;
    ASSERT_EQ(static_cast<double>(got), want) << b;
  }
  for (uint64_t i = 0; i < (uint64_t{1} << 20); ++i) {
    const float x = std::bit_cast<float>(pattern(i));
    const uint16_t got = k::f32_to_bf16(x);
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(k::bf16_to_f32(got))) << hex(x);
      continue;
    }
    ASSERT_EQ(got, bf16_bits_from_double(static_cast<double>(x))) << hex(x);
  }
}

TEST(CpuScalarConvert, MinusInfinityIsRecognisedOnItsBits) {
  EXPECT_TRUE(k::is_minus_infinity(k::minus_infinity()));
  EXPECT_TRUE(std::isinf(k::minus_infinity()) && k::minus_infinity() < 0.0f);
  EXPECT_FALSE(k::is_minus_infinity(-3.0e38f));
  EXPECT_FALSE(k::is_minus_infinity(std::bit_cast<float>(0x7F800000u)));
}

// f32 butterflies stay within a few roundings of the exact rotation (relative to the
// block's norm); the wide variant is the exact rotation rounded once when H x is exact.
TEST(CpuScalarHadamard, ButterfliesFollowTheExactRotation) {
  Tensor q = Tensor::make(DType::f32, {1, 1, 8, 64});
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t d = 0; d < 64; ++d) {
      const float v = std::ldexp(static_cast<float>(pattern(static_cast<uint64_t>(i * 64 + d)) % 2001) - 1000.0f,
                                 -static_cast<int>(i));
      q.set(0, 0, i, d, static_cast<double>(v));
    }
  const Tensor exact = rotate_q_rows(q);
  for (int64_t i = 0; i < 8; ++i) {
    std::vector<float> fast(64), wide(64);
    for (int64_t d = 0; d < 64; ++d) fast[static_cast<size_t>(d)] = wide[static_cast<size_t>(d)] = static_cast<float>(q.get(0, 0, i, d));
    k::rotate_blocks32(fast.data(), 64);
    k::rotate_blocks32_wide(wide.data(), 64);
    for (int64_t block = 0; block < 2; ++block) {
      double norm = 0.0;
      for (int64_t d = 32 * block; d < 32 * block + 32; ++d) norm += std::fabs(q.get(0, 0, i, d));
      for (int64_t d = 32 * block; d < 32 * block + 32; ++d) {
        const double want = exact.get(0, 0, i, d);
        EXPECT_EQ(static_cast<double>(wide[static_cast<size_t>(d)]), want) << i << "," << d;
        EXPECT_LE(std::fabs(static_cast<double>(fast[static_cast<size_t>(d)]) - want), 8 * 0x1p-24 * norm) << i << "," << d;
      }
    }
  }
}

const std::vector<KernelFn>& every_reader_kernel() {
  static const std::vector<KernelFn> kernels{k::flash_attn_one_chunk, k::flash_attn_tiled,
                                             cpu_scalar::build_finite_math::flash_attn_one_chunk,
                                             cpu_scalar::build_fast_math::flash_attn_one_chunk};
  return kernels;
}

bool has_visible_key(const AttentionCase& c, int64_t i) {
  for (int64_t j = 0; j < c.shape.lk; ++j)
    if (std::isfinite(c.bias(i, j))) return true;
  return false;
}

TEST(CpuScalarKernels, FullyMaskedRowsGiveZeroAndMinusInfinityInEveryBuild) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 40, .lk = 70, .dk = 16, .dv = 8};
  r.mask = "masked_rows";
  r.seed = 11;
  const AttentionCase c = generate(r);
  for (KernelFn kernel : every_reader_kernel()) {
    const RunOutput out = kernel(c, {});
    int empty_rows = 0;
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 40; ++i) {
        if (has_visible_key(c, i)) continue;
        ++empty_rows;
        EXPECT_EQ(out.lse[static_cast<size_t>(h * 40 + i)], -INFINITY);
        for (int64_t col = 0; col < 8; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
      }
    EXPECT_GT(empty_rows, 0);
  }
}

TEST(CpuScalarKernels, SinkOnlyRowsGiveZeroAndTheSink) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 3, .hkv = 1, .lq = 40, .lk = 70, .dk = 16, .dv = 8};
  r.mask = "masked_rows";
  r.sinks = true;
  r.seed = 12;
  const AttentionCase c = generate(r);
  for (KernelFn kernel : every_reader_kernel()) {
    const RunOutput out = kernel(c, {});
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < 40; ++i) {
        if (has_visible_key(c, i)) continue;
        EXPECT_EQ(out.lse[static_cast<size_t>(h * 40 + i)], c.sinks[static_cast<size_t>(h)]);
        for (int64_t col = 0; col < 8; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
      }
  }
}

TEST(CpuScalarKernels, NonFiniteValuesAtHiddenKeysNeverLeak) {
  for (const char* mask : {"causal", "random", "masked_tiles", "window"}) {
    SCOPED_TRACE(mask);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 40, .lk = 150, .dk = 16, .dv = 16};
    r.distribution = "special";
    r.mask = mask;
    r.window = 50;
    r.seed = 5;
    const AttentionCase c = generate(r);
    for (KernelFn kernel : every_reader_kernel()) {
      const RunOutput out = kernel(c, {});
      for (float l : out.lse) EXPECT_FALSE(std::isnan(l));
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 40; ++i)
          for (int64_t col = 0; col < 16; ++col) EXPECT_TRUE(std::isfinite(out.o.get(0, h, i, col)));
    }
  }
}


rc::Gen<CaseRecipe> small_recipes() {
  return rc::gen::exec([] {
    testing::RecipeSpace space;
    space.lk_at_least_lq = true;
    space.max_lq = 40;  // beyond one 32-row tile
    space.max_lk = 140; // beyond two 64-key tiles
    space.distributions = {"normal", "uniform", "peaked", "large_scores", "special"};
    space.masks = {"none", "causal", "random", "masked_rows", "masked_tiles", "window"};
    space.softcaps = {0.0f, 20.0f};
    space.max_biases = {0.0f, 8.0f};
    return testing::random_recipe(space);
  });
}

RC_GTEST_PROP(CpuScalarKernels, ResultDoesNotDependOnTheThreadCount, ()) {
  const AttentionCase c = generate(*small_recipes());
  for (KernelFn kernel : every_reader_kernel()) testing::rc_assert_identical(kernel(c, {Mutant::none, 1}), kernel(c, {Mutant::none, 3}));
}

RC_GTEST_PROP(CpuScalarKernels, ResultDoesNotDependOnTheLayout, ()) {
  const AttentionCase contiguous = generate(*small_recipes());
  for (KernelFn kernel : every_reader_kernel()) {
    const RunOutput reference = kernel(contiguous, {});
    for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
      AttentionCase strided = contiguous;
      strided.q = relayout(contiguous.q, layout);
      strided.k = relayout(contiguous.k, layout);
      strided.v = relayout(contiguous.v, layout);
      testing::rc_assert_identical(kernel(strided, {}), reference);
    }
  }
}

TEST(CpuScalarBackends, DescribeThemselves) {
  const std::vector<std::string> names{"cpu-scalar", "cpu-scalar-finite-math", "cpu-scalar-fast-math",
                                       "cpu-scalar-tiled", "cpu-scalar-setrows"};
  EXPECT_EQ(cpu_scalar_testing::scalar_registry().names(), names);
  for (const std::string& name : names) {
    const auto b = cpu_scalar_testing::make_scalar(name);
    EXPECT_EQ(b->name(), name);
    EXPECT_FALSE(b->description().empty());
    const Capabilities caps = b->capabilities();
    EXPECT_EQ(caps.q_types.size(), 3u);
    EXPECT_EQ(caps.kv_types.size(), 3u);
    EXPECT_EQ(caps.o_types.size(), 3u);
    EXPECT_EQ(caps.kv_schemes, kv_scheme_names());
    EXPECT_EQ(caps.kv_layouts.size(), 2u);
    EXPECT_TRUE(caps.hadamard && caps.lse && caps.gqa && caps.strided && caps.sinks && caps.softcap && caps.alibi &&
                caps.dk_ne_dv && caps.causal && caps.window && caps.explicit_mask);
  }
}

TEST(CpuScalarBackends, WritePathDeclinesUnquantizedCases) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 8, .dk = 32, .dv = 32};
  const AttentionCase c = generate(r);
  auto b = cpu_scalar_testing::make_scalar("cpu-scalar-setrows");
  const RunResult res = run_checked(*b, c);
  EXPECT_EQ(res.status, RunResult::Status::unsupported);
  EXPECT_NE(res.message.find("quantized"), std::string::npos);
}

}  // namespace
}  // namespace flashcheck
