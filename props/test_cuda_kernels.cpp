// The CUDA kernels on a device: exact behaviour where the answer is known, the
// invariances a correct kernel has bit for bit, flash-decoding's empty-chunk guard, and
// the verdict on random recipes. Every test skips where no usable device is.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cli/case_evaluation.hpp"
#include "core/case_transforms.hpp"
#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/cuda/cuda_backends.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/support/random_recipe.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

using cuda::KernelVariant;

constexpr KernelVariant kEveryVariant[] = {KernelVariant::fp32, KernelVariant::fp16acc, KernelVariant::splitkv};
// The kernels that accumulate in fp32 and so must meet the fp32 contract.
constexpr KernelVariant kFp32Variants[] = {KernelVariant::fp32, KernelVariant::splitkv};

class CudaKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = cuda::device_unavailable_reason()) GTEST_SKIP() << "no usable CUDA device: " << *why;
  }
};

RunOutput run_ok(KernelVariant variant, const AttentionCase& c, int splits = 0) {
  auto backend = cuda::make_cuda_backend(variant, "", splits);
  RunResult r = run_checked(*backend, c);
  if (r.status != RunResult::Status::ok) throw std::runtime_error(backend->name() + " did not run: " + r.message);
  return std::move(r.output);
}

std::string name_of(KernelVariant variant) { return cuda::make_cuda_backend(variant)->name(); }

Verdict judged(const AttentionCase& c, const RunOutput& out) {
  return judge(c, run_oracle(c, cli::oracle_options_for(c, 0)), out);
}

uint64_t bits_of(double x) { return std::bit_cast<uint64_t>(x); }
uint32_t bits_of(float x) { return std::bit_cast<uint32_t>(x); }

// Bitwise equality of two outputs, the first difference reported in decimal and hex.
::testing::AssertionResult identical(const RunOutput& a, const RunOutput& b) {
  if (a.o.shape != b.o.shape || a.lse.size() != b.lse.size()) return ::testing::AssertionFailure() << "shapes differ";
  for (int64_t i0 = 0; i0 < a.o.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.o.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.o.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.o.shape[3]; ++i3) {
          const double x = a.o.get(i0, i1, i2, i3), y = b.o.get(i0, i1, i2, i3);
          if (bits_of(x) != bits_of(y))
            return ::testing::AssertionFailure() << "O[" << i0 << "," << i1 << "," << i2 << "," << i3 << "]: " << x
                                                 << " (" << std::hexfloat << x << ") vs " << std::defaultfloat << y
                                                 << " (" << std::hexfloat << y << ")";
        }
  for (size_t r = 0; r < a.lse.size(); ++r)
    if (bits_of(a.lse[r]) != bits_of(b.lse[r]))
      return ::testing::AssertionFailure() << "LSE[" << r << "]: " << a.lse[r] << " (" << std::hexfloat << a.lse[r]
                                           << ") vs " << std::defaultfloat << b.lse[r] << " (" << std::hexfloat
                                           << b.lse[r] << ")";
  return ::testing::AssertionSuccess();
}

bool row_has_visible_key(const AttentionCase& c, int64_t i) {
  for (int64_t j = 0; j < c.shape.lk; ++j)
    if (std::isfinite(c.bias(i, j))) return true;
  return false;
}

TEST_F(CudaKernels, FullyMaskedRowsGiveZeroAndMinusInfinity) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = 40, .lk = 72, .dk = 24, .dv = 40};
  r.mask = "masked_rows";
  r.seed = 11;
  const AttentionCase c = generate(r);
  for (KernelVariant variant : kEveryVariant) {
    SCOPED_TRACE(name_of(variant));
    const RunOutput out = run_ok(variant, c);
    int masked_rows = 0;
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 40; ++i) {
        if (row_has_visible_key(c, i)) continue;
        ++masked_rows;
        EXPECT_EQ(out.lse[static_cast<size_t>(h * 40 + i)], -INFINITY);
        for (int64_t col = 0; col < 40; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
      }
    EXPECT_GT(masked_rows, 0);
  }
}

// A causal prefill with Lq > Lk: the first rows sit before every key.
TEST_F(CudaKernels, RowsBeforeEveryKeyAreFullyMasked) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 50, .lk = 20, .dk = 16, .dv = 16};
  r.mask = "causal";
  r.seed = 4;
  const AttentionCase c = generate(r);
  for (KernelVariant variant : kEveryVariant) {
    SCOPED_TRACE(name_of(variant));
    const RunOutput out = run_ok(variant, c);
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 30; ++i) {  // query i sits at position i - 30
        EXPECT_EQ(out.lse[static_cast<size_t>(h * 50 + i)], -INFINITY) << "row " << i;
        EXPECT_EQ(out.o.get(0, h, i, 0), 0.0);
      }
    if (variant != KernelVariant::fp16acc) {
      EXPECT_TRUE(judged(c, out).pass);
    }
  }
}

// With a sink and no visible key the sink alone fills the denominator: O = 0, LSE = S_h
// exactly (the sink is the maximum, so its weight is exp(0) = 1 and log(1) = 0).
TEST_F(CudaKernels, SinkOnlyRowsGiveZeroAndTheSink) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 3, .hkv = 1, .lq = 16, .lk = 24, .dk = 8, .dv = 8};
  r.mask = "masked_rows";
  r.sinks = true;
  r.seed = 12;
  const AttentionCase c = generate(r);
  for (KernelVariant variant : kFp32Variants) {
    SCOPED_TRACE(name_of(variant));
    const RunOutput out = run_ok(variant, c);
    int sink_only_rows = 0;
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < 16; ++i) {
        if (row_has_visible_key(c, i)) continue;
        ++sink_only_rows;
        EXPECT_EQ(out.lse[static_cast<size_t>(h * 16 + i)], c.sinks[static_cast<size_t>(h)]);
        for (int64_t col = 0; col < 8; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
      }
    EXPECT_GT(sink_only_rows, 0);
  }
}

// The special distribution puts inf and NaN in K and V at hidden keys only.
TEST_F(CudaKernels, SpecialValuesAtHiddenKeysNeverLeak) {
  for (const char* mask : {"causal", "random", "masked_tiles", "tile_edges"}) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 40, .lk = 72, .dk = 16, .dv = 16};
    r.distribution = "special";
    r.mask = mask;
    r.seed = 5;
    const AttentionCase c = generate(r);
    for (KernelVariant variant : kEveryVariant) {
      SCOPED_TRACE(std::string(mask) + " " + name_of(variant));
      const RunOutput out = run_ok(variant, c);
      for (float l : out.lse) EXPECT_FALSE(std::isnan(l));
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 40; ++i)
          for (int64_t col = 0; col < 16; ++col) EXPECT_TRUE(std::isfinite(out.o.get(0, h, i, col)));
      if (variant != KernelVariant::fp16acc) {
      EXPECT_TRUE(judged(c, out).pass);
    }
    }
  }
}

// Under a causal mask with Lq == Lk, query 0 sees key 0 alone: its weight is exp(0) = 1
// exactly. (Not so in half statistics: the running max is the score rounded to half.)
TEST_F(CudaKernels, SingleVisibleKeyReturnsItsValueRow) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 4, .hkv = 2, .lq = 37, .lk = 37, .dk = 64, .dv = 48};
  r.mask = "causal";
  r.seed = 21;
  const AttentionCase c = generate(r);
  for (KernelVariant variant : kFp32Variants) {
    SCOPED_TRACE(name_of(variant));
    const RunOutput out = run_ok(variant, c);
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 4; ++h)
        for (int64_t col = 0; col < 48; ++col)
          EXPECT_EQ(out.o.get(b, h, 0, col), c.v.get(b, c.kv_head(h), 0, col)) << "b " << b << " h " << h;
  }
}

// The kernels read strided views themselves and sum in an order that does not depend on
// the layout, so the result is the same bit for bit; a second run repeats it exactly.
TEST_F(CudaKernels, ResultDoesNotDependOnTheLayoutAndRepeatsExactly) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 6, .hkv = 2, .lq = 21, .lk = 150, .dk = 40, .dv = 24};
  r.mask = "random";
  r.max_bias = 8.0f;
  r.softcap = 20.0f;
  r.sinks = true;
  r.q_type = DType::bf16;
  r.v_type = DType::f32;
  r.seed = 9;
  const AttentionCase contiguous = generate(r);
  for (KernelVariant variant : kEveryVariant) {
    SCOPED_TRACE(name_of(variant));
    const RunOutput reference = run_ok(variant, contiguous);
    EXPECT_TRUE(identical(run_ok(variant, contiguous), reference)) << "second run";
    for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
      AttentionCase strided = contiguous;
      strided.q = relayout(contiguous.q, layout);
      strided.k = relayout(contiguous.k, layout);
      strided.v = relayout(contiguous.v, layout);
      strided.mask = relayout(*contiguous.mask, layout);
      EXPECT_TRUE(identical(run_ok(variant, strided), reference)) << "layout " << static_cast<int>(layout);
    }
  }
}

TEST_F(CudaKernels, GroupedQueryEqualsReplicatedHeads) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 6, .hkv = 2, .lq = 19, .lk = 90, .dk = 32, .dv = 32};
  r.mask = "causal";
  r.seed = 13;
  const AttentionCase grouped = generate(r);
  const AttentionCase replicated = with_replicated_kv_heads(grouped);
  for (KernelVariant variant : kEveryVariant) {
    SCOPED_TRACE(name_of(variant));
    EXPECT_TRUE(identical(run_ok(variant, replicated), run_ok(variant, grouped)));
  }
}

// With one chunk the merge multiplies by exp(0) = 1 and divides exactly as the one-pass
// kernel does, so flash-decoding must reproduce it bit for bit.
TEST_F(CudaKernels, SplitKvWithOneChunkEqualsTheOnePassKernel) {
  for (const char* mask : {"none", "causal", "random", "masked_rows"}) {
    SCOPED_TRACE(mask);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 33, .lk = 200, .dk = 64, .dv = 64};
    r.mask = mask;
    r.max_bias = 8.0f;
    r.seed = 17;
    const AttentionCase c = generate(r);
    EXPECT_TRUE(identical(run_ok(KernelVariant::splitkv, c, 1), run_ok(KernelVariant::fp32, c)));
  }
}

// More chunks than key tiles: the trailing chunks see no key at all, and under a causal
// mask or a window early rows find most chunks empty. The merge must skip them.
TEST_F(CudaKernels, EmptyChunksAreLeftOutOfTheMerge) {
  const struct {
    const char* mask;
    int64_t window;
    bool sinks;
  } variants[] = {{"causal", 0, false}, {"window", 20, false}, {"masked_rows", 0, true}, {"causal", 0, true}};
  for (const auto& v : variants) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 40, .lk = 70, .dk = 32, .dv = 32};
    r.mask = v.mask;
    r.window = v.window;
    r.sinks = v.sinks;
    r.seed = 23;
    const AttentionCase c = generate(r);
    for (int splits : {3, 16, 40}) {
      SCOPED_TRACE(::testing::Message() << v.mask << (v.sinks ? " with sinks, " : ", ") << splits << " chunks");
      const RunOutput out = run_ok(KernelVariant::splitkv, c, splits);
      for (float l : out.lse) EXPECT_FALSE(std::isnan(l));
      const Verdict verdict = judged(c, out);
      EXPECT_TRUE(verdict.pass) << verdict.summary();
    }
  }
}

// The fp32 kernels round once at the store: a narrower O is the f32 O rounded.
TEST_F(CudaKernels, NarrowOutputIsTheF32OutputRounded) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 4, .lq = 20, .lk = 100, .dk = 32, .dv = 32};
  r.mask = "causal";
  r.distribution = "large_v";
  r.o_type = DType::f32;
  r.seed = 31;
  const AttentionCase wide = generate(r);
  for (KernelVariant variant : kFp32Variants) {
    const RunOutput reference = run_ok(variant, wide);
    for (DType narrow : {DType::f16, DType::bf16}) {
      SCOPED_TRACE(name_of(variant) + " " + dtype_name(narrow));
      AttentionCase c = wide;
      c.o_type = narrow;
      const RunOutput out = run_ok(variant, c);
      ASSERT_EQ(out.o.dtype, narrow);
      for (int64_t h = 0; h < 4; ++h)
        for (int64_t i = 0; i < 20; ++i)
          for (int64_t col = 0; col < 32; ++col)
            EXPECT_EQ(bits_of(out.o.get(0, h, i, col)), bits_of(round_to(narrow, reference.o.get(0, h, i, col))));
      EXPECT_TRUE(identical(RunOutput{reference.o, out.lse}, reference)) << "LSE does not depend on the O dtype";
    }
  }
}

// Head dimensions at the kernel's limit (256) and Dk != Dv: the widest shared-memory tiles.
TEST_F(CudaKernels, WidestHeadsPassTheVerdict) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 18, .lk = 70, .dk = 256, .dv = 200};
  r.mask = "causal";
  r.seed = 41;
  const AttentionCase c = generate(r);
  for (KernelVariant variant : kFp32Variants) {
    SCOPED_TRACE(name_of(variant));
    const Verdict v = judged(c, run_ok(variant, c));
    EXPECT_TRUE(v.pass) << v.summary();
  }
}

// Any recipe the generator makes (every distribution and mask, dtypes, GQA, ALiBi,
// softcap, sinks, strided layouts, Lk < Lq), with a random chunk count for flash-decoding.
TEST_F(CudaKernels, Fp32KernelsPassTheVerdictOnRandomRecipes) {
  const bool ok = rc::check("cuda-fp32 and cuda-splitkv pass on random recipes", [] {
    flashcheck::testing::RecipeSpace space;
    space.max_lq = 40;
    space.max_lk = 300;
    space.max_dk = space.max_dv = 160;
    space.softcaps = {0.0f, 10.0f, 50.0f};
    space.max_biases = {0.0f, 0.0f, 8.0f};
    space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
    space.max_seed = uint64_t{1} << 40;
    const CaseRecipe recipe = flashcheck::testing::random_recipe(space);
    const int splits = *rc::gen::inRange(0, 12);
    RC_TAG(recipe.distribution);
    const AttentionCase c = generate(recipe);
    const OracleResult oracle = run_oracle(c, cli::oracle_options_for(c, 0));
    for (KernelVariant variant : kFp32Variants) {
      const RunOutput out = run_ok(variant, c, variant == KernelVariant::splitkv ? splits : 0);
      const Verdict v = judge(c, oracle, out);
      if (!v.pass) RC_FAIL(name_of(variant) + " (" + std::to_string(splits) + " chunks): " + describe(recipe) + "\n" +
                           v.summary());
    }
  });
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace flashcheck
