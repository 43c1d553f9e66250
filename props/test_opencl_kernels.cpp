// The OpenCL kernels on the device: the contract on empty rows, the mask prepass
// against the mask, both decode paths, exact invariances (layout, GQA sharing, output
// rounding), native reading of quantized K/V, and agreement with the oracle on small
// random cases.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "core/case_transforms.hpp"
#include "core/dtype.hpp"
#include "impls/opencl/cl_errors.hpp"
#include "impls/opencl/cl_runtime.hpp"
#include "impls/opencl/fa_launcher.hpp"
#include "impls/opencl/fa_program.hpp"
#include "oracle/attention_oracle.hpp"
#include "props/support/random_recipe.hpp"
#include "props/test_opencl_helpers.hpp"
#include "verdict/verdict.hpp"
#include "props/support/identical_outputs.hpp"

namespace flashcheck {

// How RapidCheck prints a counterexample recipe.
inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

using opencl_tests::explain;
using opencl_tests::grade;
using opencl_tests::make;
using opencl_tests::run_ok;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

uint64_t bits_of(double x) { return std::bit_cast<uint64_t>(x); }

bool row_fully_masked(const AttentionCase& c, int64_t i) {
  for (int64_t j = 0; j < c.shape.lk; ++j)
    if (std::isfinite(c.bias(i, j))) return false;
  return true;
}

// Small random recipes over every feature, storage type and head size (one program serves them all).
rc::Gen<CaseRecipe> small_recipes() {
  return rc::gen::exec([] {
    flashcheck::testing::RecipeSpace space;
    space.max_lq = 40;
    space.max_lk = 80;
    space.max_dk = 48;
    space.max_dv = 48;
    space.softcaps = {0.0f, 20.0f};
    space.max_biases = {0.0f, 8.0f};
    return flashcheck::testing::random_recipe(space);
  });
}

TEST(OpenClKernels, DescribeTheDevice) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  const auto& rt = opencl::ClRuntime::instance();
  EXPECT_FALSE(rt.device_description().empty());
  EXPECT_TRUE(rt.unavailable_reason().empty());
  EXPECT_GT(rt.local_mem_bytes(), 0u);
  std::string why = "untouched";
  EXPECT_TRUE(make("opencl")->available(&why));
  EXPECT_EQ(why, "untouched");
}

// Rows with no visible key give O = 0 and LSE = -inf exactly, in every flag set and on
// every path: prefill (masked_rows; masked_tiles, whose tile row 1 the prepass skips
// whole), single-work-group decode and K-split decode (every split empty).
TEST(OpenClKernels, FullyMaskedRowsGiveZeroAndMinusInfinity) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  struct Shape {
    CaseShape shape;
    const char* mask;
  };
  const Shape shapes[] = {{{1, 2, 1, 40, 70, 64, 64}, "masked_rows"},
                          {{1, 2, 2, 64, 96, 64, 64}, "masked_tiles"},
                          {{1, 4, 2, 1, 300, 64, 64}, "masked_rows"},
                          {{1, 4, 2, 1, 1500, 64, 64}, "masked_rows"}};
  for (const char* flags : opencl_tests::kFlagSetNames)
    for (const Shape& s : shapes) {
      SCOPED_TRACE(std::string(flags) + " " + s.mask + " Lk=" + std::to_string(s.shape.lk));
      CaseRecipe r;
      r.shape = s.shape;
      r.distribution = "special";  // inf / NaN in the keys no row sees
      r.mask = s.mask;
      r.seed = 21;
      const AttentionCase c = generate(r);
      auto b = make(flags);
      const RunOutput out = run_ok(*b, c);
      int empty_rows = 0;
      for (int64_t h = 0; h < s.shape.hq; ++h)
        for (int64_t i = 0; i < s.shape.lq; ++i) {
          const float lse = out.lse[static_cast<size_t>(h * s.shape.lq + i)];
          if (!row_fully_masked(c, i)) {
            EXPECT_TRUE(std::isfinite(lse)) << "h=" << h << " i=" << i << " lse=" << lse;
            continue;
          }
          ++empty_rows;
          EXPECT_EQ(lse, kNegInf) << "h=" << h << " i=" << i;
          for (int64_t col = 0; col < s.shape.dv; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
        }
      EXPECT_GT(empty_rows, 0);
    }
}

// A sink with no visible key: the sink alone fills the denominator, O = 0 and LSE = S_h.
TEST(OpenClKernels, SinkOnlyRowsGiveZeroAndTheSink) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  for (int64_t lk : {70, 1500}) {
    SCOPED_TRACE(lk);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 3, .hkv = 1, .lq = lk > 1000 ? 1 : 20, .lk = lk, .dk = 64, .dv = 64};
    r.mask = "masked_rows";
    r.sinks = true;
    r.seed = 12;
    const AttentionCase c = generate(r);
    const RunOutput out = run_ok(*make("opencl"), c);
    int sink_rows = 0;
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < r.shape.lq; ++i) {
        if (!row_fully_masked(c, i)) continue;
        ++sink_rows;
        EXPECT_EQ(out.lse[static_cast<size_t>(h * r.shape.lq + i)], c.sinks[static_cast<size_t>(h)]);
        for (int64_t col = 0; col < 64; ++col) EXPECT_EQ(out.o.get(0, h, i, col), 0.0);
      }
    EXPECT_GT(sink_rows, 0);
  }
}

// The prepass agrees with the mask tile by tile: fully masked where every (row, key)
// is hidden, unmasked where every key is visible with zero explicit bias, else mixed.
TEST(OpenClKernels, PrepassClassifiesEveryTileFromTheMask) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  const opencl::FlashAttentionLauncher launcher(*opencl::find_flag_set("opencl"), nullptr, {});
  struct Spec {
    const char* mask;
    int64_t lq, lk, window;
  };
  for (const Spec& s : {Spec{"causal", 70, 150, 0}, Spec{"window", 96, 96, 40}, Spec{"masked_tiles", 96, 160, 0},
                        Spec{"tile_edges", 64, 200, 0}, Spec{"random", 40, 70, 0}, Spec{"none", 33, 65, 0}}) {
    SCOPED_TRACE(s.mask);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = s.lq, .lk = s.lk, .dk = 64, .dv = 64};
    r.mask = s.mask;
    r.window = s.window;
    r.max_bias = 8.0f;  // ALiBi biases are computed, not read: they must not make a tile mixed
    r.seed = 3;
    const AttentionCase c = generate(r);
    const std::vector<uint8_t> classes = launcher.tile_classes(c);
    const int64_t n_q = (s.lq + 31) / 32, n_kv = (s.lk + 31) / 32;
    ASSERT_EQ(classes.size(), static_cast<size_t>(n_q * n_kv));
    int seen[3] = {0, 0, 0};
    for (int64_t qt = 0; qt < n_q; ++qt)
      for (int64_t t = 0; t < n_kv; ++t) {
        int hidden = 0, biased = 0, total = 0;
        for (int64_t i = qt * 32; i < std::min(s.lq, qt * 32 + 32); ++i)
          for (int64_t j = t * 32; j < std::min(s.lk, t * 32 + 32); ++j) {
            ++total;
            const double explicit_bias = c.mask ? c.mask->get(0, 0, i, j) : 0.0;
            if (!c.structurally_visible(i, j) || std::isinf(explicit_bias))
              ++hidden;
            else if (explicit_bias != 0.0)
              ++biased;
          }
        const int expected = hidden == total ? 0 : (hidden > 0 || biased > 0) ? 1 : 2;
        EXPECT_EQ(classes[static_cast<size_t>(qt * n_kv + t)], expected) << "query tile " << qt << ", KV tile " << t;
        ++seen[expected];
      }
    if (std::string(s.mask) == "causal") {
      EXPECT_TRUE(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
    }
  }
}

// Single-query rows run in one work-group up to decode_split_keys keys and as a K-split
// with a merge beyond: both pass the verdict on the same cases, and agree closely.
TEST(OpenClKernels, BothDecodePathsPassTheVerdict) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  for (const char* mask : {"none", "window", "random"}) {
    SCOPED_TRACE(mask);
    CaseRecipe r;
    r.shape = {.batch = 2, .hq = 4, .hkv = 2, .lq = 1, .lk = 700, .dk = 64, .dv = 64};
    r.mask = mask;
    r.window = 150;  // most splits of 64 keys see no key at all
    r.sinks = true;
    r.seed = 77;
    const AttentionCase c = generate(r);
    cli::LazyOracle oracle(c, cli::oracle_options_for(c, 2));
    const opencl::OpenClTuning split{.decode_split_keys = 64}, single{.decode_split_keys = 4096};
    EXPECT_EQ(opencl::launch_path(c, split), opencl::LaunchPath::decode_split);
    EXPECT_EQ(opencl::launch_path(c, single), opencl::LaunchPath::decode_single);
    auto split_backend = make("opencl", "", split);
    auto single_backend = make("opencl", "", single);
    const cli::CaseOutcome a = grade(*split_backend, r, c, oracle);
    const cli::CaseOutcome b = grade(*single_backend, r, c, oracle);
    EXPECT_EQ(a.status, cli::CaseOutcome::Status::pass) << explain(a);
    EXPECT_EQ(b.status, cli::CaseOutcome::Status::pass) << explain(b);
    const RunOutput x = run_ok(*split_backend, c), y = run_ok(*single_backend, c);
    for (size_t row = 0; row < x.lse.size(); ++row)
      EXPECT_NEAR(x.lse[row], y.lse[row], 1e-5 * (1 + std::fabs(y.lse[row]))) << "row " << row;
  }
}

TEST(OpenClKernels, LaunchPathFollowsTheShape) {
  CaseShape s{.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 10000, .dk = 64, .dv = 64};
  AttentionCase c;
  c.shape = s;
  EXPECT_EQ(opencl::launch_path(c, {}), opencl::LaunchPath::prefill);
  c.shape.lq = 1;
  EXPECT_EQ(opencl::launch_path(c, {}), opencl::LaunchPath::decode_split);
  c.shape.lk = 512;
  EXPECT_EQ(opencl::launch_path(c, {}), opencl::LaunchPath::decode_single);
  c.shape.lk = 513;
  EXPECT_EQ(opencl::launch_path(c, {}), opencl::LaunchPath::decode_split);
}

// The kernels read the quantized bytes: spoiling the dequantized copy the case also
// carries changes nothing, spoiling one scale of the bytes changes the output.
TEST(OpenClKernels, QuantizedKvIsReadFromItsBytes) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  for (int64_t lq : {8, 1}) {
    SCOPED_TRACE(lq);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = lq, .lk = 40, .dk = 64, .dv = 64};
    r.k_quant = "ggml_q8_0";
    r.v_quant = "ggml_q4_0";
    r.seed = 5;
    const AttentionCase c = generate(r);
    auto b = make("opencl");
    const RunOutput reference = run_ok(*b, c);
    AttentionCase spoiled_values = c;
    for (int64_t j = 0; j < 40; ++j)
      for (int64_t d = 0; d < 64; ++d) {
        spoiled_values.k.set(0, 0, j, d, 1e6);
        spoiled_values.v.set(0, 0, j, d, -1e6);
      }
    // Not run_checked: the case no longer validates (its values disagree with its bytes).
    const RunResult same = b->run(spoiled_values);
    ASSERT_EQ(same.status, RunResult::Status::ok) << same.message;
    EXPECT_EQ(same.output.o.storage, reference.o.storage);
    AttentionCase spoiled_bytes = c;
    spoiled_bytes.v_quant->bytes[1] ^= 0x40;  // the high byte of V row 0's first fp16 scale
    const RunResult changed = b->run(spoiled_bytes);
    ASSERT_EQ(changed.status, RunResult::Status::ok) << changed.message;
    EXPECT_NE(changed.output.o.storage, reference.o.storage);
  }
}

TEST(OpenClKernels, UnsupportedCasesSayWhy) {
  auto b = make("opencl");
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 40, .dk = 288, .dv = 64};
  EXPECT_NE(run_checked(*b, generate(r)).message.find("head dimension 288"), std::string::npos);
  r.shape.dk = 64;
  r.k_quant = "ggml_mxfp4";
  EXPECT_NE(run_checked(*b, generate(r)).message.find("ggml_mxfp4"), std::string::npos);
}

// Programs are built once per (flag set, mutant) in a process: other storage types and
// head dimensions reuse them.
TEST(OpenClKernels, ProgramsAreCachedPerBuildOptions) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 3, .lk = 20, .dk = 32, .dv = 32};
  const AttentionCase c = generate(r);
  auto& rt = opencl::ClRuntime::instance();
  run_ok(*make("opencl"), c);
  const size_t after_first = rt.programs_built();
  run_ok(*make("opencl"), c);
  r.seed = 2;
  r.shape.dk = 64;
  r.q_type = r.k_type = r.v_type = r.o_type = DType::bf16;
  run_ok(*make("opencl"), generate(r));
  r.k_quant = "ggml_q4_0";
  run_ok(*make("opencl"), generate(r));
  EXPECT_EQ(rt.programs_built(), after_first);
  run_ok(*make("opencl-finite-math"), c);
  EXPECT_EQ(rt.programs_built(), after_first + 1);
}

// A program that does not compile reports the status and the compiler's log; a
// missing kernel reports its OpenCL status by name.
TEST(OpenClKernels, BuildFailuresCarryTheLog) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  auto& rt = opencl::ClRuntime::instance();
  std::lock_guard lock(rt.mutex());
  try {
    rt.kernel("__kernel void broken(__global float* x) { x[0] = undeclared_name; }", "-cl-std=CL1.2", "broken");
    FAIL() << "the build succeeded";
  } catch (const opencl::ClBuildError& e) {
    EXPECT_NE(std::string(e.what()).find("CL_BUILD_PROGRAM_FAILURE"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("undeclared_name"), std::string::npos) << e.what();
  }
  try {
    rt.kernel("__kernel void present(__global float* x) { x[0] = 1.0f; }", "-cl-std=CL1.2", "absent");
    FAIL() << "an absent kernel was created";
  } catch (const opencl::ClError& e) {
    EXPECT_EQ(opencl::cl_error_name(e.status()), "CL_INVALID_KERNEL_NAME");
  }
}

TEST(OpenClKernels, PassesTheVerdictOnSmallRandomCases) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  EXPECT_TRUE(rc::check([] {
    const CaseRecipe r = *small_recipes();
    const char* flags = *rc::gen::elementOf(std::vector<const char*>(std::begin(opencl_tests::kFlagSetNames),
                                                                     std::end(opencl_tests::kFlagSetNames)));
    RC_TAG(flags);
    const AttentionCase c = generate(r);
    cli::LazyOracle oracle(c, cli::oracle_options_for(c, 1));
    auto b = make(flags);
    const cli::CaseOutcome outcome = grade(*b, r, c, oracle);
    RC_ASSERT(outcome.status == cli::CaseOutcome::Status::pass);
  }));
}

TEST(OpenClKernels, ResultDoesNotDependOnTheLayout) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  EXPECT_TRUE(rc::check([] {
    CaseRecipe r = *small_recipes();
    r.layout = Layout::contiguous;
    const AttentionCase contiguous = generate(r);
    auto b = make("opencl");
    const RunOutput reference = run_ok(*b, contiguous);
    for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
      AttentionCase strided = contiguous;
      strided.q = relayout(contiguous.q, layout);
      strided.k = relayout(contiguous.k, layout);
      strided.v = relayout(contiguous.v, layout);
      if (contiguous.mask) strided.mask = relayout(*contiguous.mask, layout);
      testing::rc_assert_identical(run_ok(*b, strided), reference);
    }
  }));
}

TEST(OpenClKernels, GroupedQueryEqualsReplicatedHeads) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  EXPECT_TRUE(rc::check([] {
    CaseRecipe r = *small_recipes();
    r.shape.hkv = 1;
    r.shape.hq = *rc::gen::inRange<int64_t>(2, 5);
    r.max_bias = 0.0f;  // ALiBi slopes depend on Hq only, but keep the heads' math identical
    const AttentionCase grouped = generate(r);
    const AttentionCase replicated = with_replicated_kv_heads(grouped);
    auto backend = make("opencl");
    testing::rc_assert_identical(run_ok(*backend, replicated), run_ok(*backend, grouped));
  }));
}

// The kernels accumulate in fp32 and round once at the store: a narrower O is the f32 O
// rounded to nearest even.
TEST(OpenClKernels, NarrowOutputIsTheF32OutputRounded) {
  FLASHCHECK_SKIP_WITHOUT_OPENCL();
  EXPECT_TRUE(rc::check([] {
    CaseRecipe r = *small_recipes();
    r.o_type = DType::f32;
    const AttentionCase wide = generate(r);
    auto b = make("opencl");
    const RunOutput reference = run_ok(*b, wide);
    for (DType narrow : {DType::f16, DType::bf16}) {
      AttentionCase c = wide;
      c.o_type = narrow;
      const RunOutput out = run_ok(*b, c);
      for (int64_t i0 = 0; i0 < out.o.shape[0]; ++i0)
        for (int64_t i1 = 0; i1 < out.o.shape[1]; ++i1)
          for (int64_t i2 = 0; i2 < out.o.shape[2]; ++i2)
            for (int64_t i3 = 0; i3 < out.o.shape[3]; ++i3)
              RC_ASSERT(bits_of(out.o.get(i0, i1, i2, i3)) ==
                        bits_of(round_to(narrow, reference.o.get(i0, i1, i2, i3))));
    }
  }));
}

}  // namespace
}  // namespace flashcheck
