// The CUDA subjects without a device: what registers, how each describes itself and
// its seeded bugs, how unavailability is reported (built without CUDA, or built with
// it on a machine without a usable device), and the host-side arithmetic the kernels
// rely on (the case translation and the flash-decoding split plan).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/cuda/cuda_backends.hpp"
#include "impls/cuda/problem_from_case.hpp"
#include "impls/cuda/register_cuda.hpp"
#include "impls/cuda/split_plan.hpp"

namespace flashcheck {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Registry cuda_registry() {
  Registry r;
  register_cuda_backends(r);
  return r;
}

AttentionCase small_case() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 3, .lk = 40, .dk = 16, .dv = 8};
  r.seed = 7;
  return generate(r);
}

TEST(CudaHost, RegistersTheThreeSubjects) {
  EXPECT_THAT(cuda_registry().names(), ElementsAre("cuda-fp32", "cuda-fp16acc", "cuda-splitkv"));
}

TEST(CudaHost, EachSubjectDescribesItself) {
  const Registry r = cuda_registry();
  for (const std::string& name : r.names()) {
    SCOPED_TRACE(name);
    auto b = r.make(name);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->name(), name);
    EXPECT_FALSE(b->description().empty());
    const Capabilities caps = b->capabilities();
    for (const auto* types : {&caps.q_types, &caps.kv_types, &caps.o_types})
      EXPECT_THAT(*types, ElementsAre(DType::f32, DType::f16, DType::bf16));
    EXPECT_EQ(caps.max_head_dim, 256);
    EXPECT_TRUE(caps.lse && caps.gqa && caps.strided && caps.dk_ne_dv && caps.causal && caps.window &&
                caps.explicit_mask && caps.alibi && caps.softcap && caps.sinks);
    EXPECT_TRUE(caps.kv_schemes.empty()) << "no quantized KV is read";
  }
  // The half-precision variant must say it is not an fp32-accumulation kernel.
  EXPECT_THAT(r.make("cuda-fp16acc")->description(), HasSubstr("half precision"));
  EXPECT_THAT(r.make("cuda-fp16acc")->description(), HasSubstr("not expected to meet the fp32 budget"));
}

TEST(CudaHost, ListsItsSeededBugs) {
  const Registry r = cuda_registry();
  const auto fp32 = r.make("cuda-fp32")->mutants();
  ASSERT_EQ(fp32.size(), 1u);
  EXPECT_EQ(fp32[0].name, "max-lane0");
  EXPECT_EQ(fp32[0].seed, "002");
  EXPECT_EQ(fp32[0].bug_class, "wrong-result");
  const auto split = r.make("cuda-splitkv")->mutants();
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].name, "merge-no-rescale");
  EXPECT_EQ(split[0].seed, "002");
  EXPECT_EQ(split[0].bug_class, "wrong-result");
  EXPECT_TRUE(r.make("cuda-fp16acc")->mutants().empty());
  for (const auto* m : {&fp32[0], &split[0]}) EXPECT_FALSE(m->description.empty());
}

TEST(CudaHost, MutantsAreBuiltByName) {
  const Registry r = cuda_registry();
  EXPECT_EQ(r.make("cuda-fp32@max-lane0")->name(), "cuda-fp32@max-lane0");
  EXPECT_EQ(r.make("cuda-splitkv@merge-no-rescale")->name(), "cuda-splitkv@merge-no-rescale");
  // A switch belongs to the subject whose code it breaks.
  EXPECT_THROW(r.make("cuda-fp32@merge-no-rescale"), std::invalid_argument);
  EXPECT_THROW(r.make("cuda-fp16acc@max-lane0"), std::invalid_argument);
  EXPECT_THROW(cuda::make_cuda_backend(cuda::KernelVariant::splitkv, "max-lane0"), std::invalid_argument);
  EXPECT_THROW(cuda::make_cuda_backend(cuda::KernelVariant::fp32, "no-such-bug"), std::invalid_argument);
}

TEST(CudaHost, OnlyTheSplitKernelTakesASplitCount) {
  EXPECT_EQ(cuda::make_cuda_backend(cuda::KernelVariant::splitkv, "", 8)->name(), "cuda-splitkv");
  EXPECT_THROW(cuda::make_cuda_backend(cuda::KernelVariant::fp32, "", 8), std::invalid_argument);
  EXPECT_THROW(cuda::make_cuda_backend(cuda::KernelVariant::splitkv, "", -1), std::invalid_argument);
}

// Here (no device, with or without nvcc) every subject says why it cannot run, and a run
// anyway is an error naming that reason, never a crash. On a machine with a device the
// same subjects are available and run.
TEST(CudaHost, ReportsUnavailabilityCleanly) {
  const Registry r = cuda_registry();
  const AttentionCase c = small_case();
  for (const std::string& name : r.names()) {
    SCOPED_TRACE(name);
    auto b = r.make(name);
    std::string why;
    const bool available = b->available(&why);
    EXPECT_EQ(b->available(nullptr), available);
    const RunResult run = run_checked(*b, c);
    if (available) {
      EXPECT_TRUE(why.empty());
      EXPECT_EQ(run.status, RunResult::Status::ok) << run.message;
      continue;
    }
    EXPECT_FALSE(why.empty());
    if (cuda::built_with_cuda())
      EXPECT_THAT(why, Not(HasSubstr("built without CUDA")));  // the CUDA runtime's own reason
    else
      EXPECT_THAT(why, HasSubstr("built without CUDA"));
    EXPECT_EQ(run.status, RunResult::Status::error);
    EXPECT_THAT(run.message, HasSubstr(why));
  }
}

TEST(CudaHost, DeviceReasonAgreesWithTheBackends) {
  const auto reason = cuda::device_unavailable_reason();
  std::string why;
  EXPECT_EQ(cuda::make_cuda_backend(cuda::KernelVariant::fp32)->available(&why), !reason.has_value());
  if (reason) {
    EXPECT_EQ(why, *reason);
  }
}

RunOutput outputs_for(const AttentionCase& c) {
  RunOutput out;
  out.o = Tensor::make(c.o_type, {c.shape.batch, c.shape.hq, c.shape.lq, c.shape.dv});
  out.lse.assign(static_cast<size_t>(c.shape.batch * c.shape.hq * c.shape.lq), 0.0f);
  return out;
}

void expect_same_view(const cuda::HostTensor& h, const Tensor& t) {
  EXPECT_EQ(h.data, static_cast<const void*>(t.data()));
  EXPECT_EQ(h.bytes, t.storage.size());
  for (size_t d = 0; d < 4; ++d) EXPECT_EQ(h.strides[d], t.strides[d]) << "dimension " << d;
  EXPECT_EQ(h.type, cuda::storage_type(t.dtype));
}

// Strided views, ALiBi, sinks and an explicit mask on top of the causal rule all reach
// the device as the case states them: no host-side repacking or folding.
TEST(CudaHost, TranslatesTheCaseAsStored) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 6, .hkv = 2, .lq = 5, .lk = 70, .dk = 24, .dv = 40};
  r.q_type = DType::bf16;
  r.k_type = DType::f16;
  r.v_type = DType::f32;
  r.o_type = DType::f16;
  r.mask = "tile_edges";
  r.max_bias = 8.0f;
  r.softcap = 30.0f;
  r.sinks = true;
  r.layout = Layout::seq_major;
  r.seed = 3;
  const AttentionCase c = generate(r);
  ASSERT_FALSE(c.q.is_contiguous());
  RunOutput out = outputs_for(c);
  const cuda::DeviceProblem p = cuda::describe_for_device(c, out);

  EXPECT_EQ(p.batch, 2);
  EXPECT_EQ(p.hq, 6);
  EXPECT_EQ(p.hkv, 2);
  EXPECT_EQ(p.lq, 5);
  EXPECT_EQ(p.lk, 70);
  EXPECT_EQ(p.dk, 24);
  EXPECT_EQ(p.dv, 40);
  expect_same_view(p.q, c.q);
  expect_same_view(p.k, c.k);
  expect_same_view(p.v, c.v);
  EXPECT_EQ(p.q.type, cuda::StorageType::bf16);
  EXPECT_EQ(p.k.type, cuda::StorageType::f16);
  EXPECT_EQ(p.v.type, cuda::StorageType::f32);
  ASSERT_TRUE(p.has_mask);
  expect_same_view(p.mask, *c.mask);
  EXPECT_EQ(p.structural, cuda::StructuralMask::causal);
  EXPECT_EQ(p.scale, c.scale);
  EXPECT_EQ(p.softcap, 30.0f);
  EXPECT_TRUE(p.alibi);
  ASSERT_EQ(p.slopes.size(), 6u);
  for (int64_t h = 0; h < 6; ++h) EXPECT_EQ(p.slopes[static_cast<size_t>(h)], c.slope(h));
  EXPECT_EQ(p.sinks, c.sinks);
  EXPECT_EQ(p.o, static_cast<void*>(out.o.data()));
  EXPECT_EQ(p.o_bytes, out.o.storage.size());
  for (size_t d = 0; d < 4; ++d) EXPECT_EQ(p.o_strides[d], out.o.strides[d]);
  EXPECT_EQ(p.o_type, cuda::StorageType::f16);
  EXPECT_EQ(p.lse, out.lse.data());
}

TEST(CudaHost, SplitsTheMaskIntoItsStructuralRuleAndTheExplicitTensor) {
  const struct {
    const char* pattern;
    cuda::StructuralMask structural;
    bool explicit_mask;
  } expectations[] = {
      {"none", cuda::StructuralMask::none, false},     {"causal", cuda::StructuralMask::causal, false},
      {"window", cuda::StructuralMask::window, false}, {"random", cuda::StructuralMask::none, true},
      {"tile_edges", cuda::StructuralMask::causal, true},
  };
  for (const auto& e : expectations) {
    SCOPED_TRACE(e.pattern);
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 4, .lk = 40, .dk = 8, .dv = 8};
    r.mask = e.pattern;
    r.window = 9;
    const AttentionCase c = generate(r);
    RunOutput out = outputs_for(c);
    const cuda::DeviceProblem p = cuda::describe_for_device(c, out);
    EXPECT_EQ(p.structural, e.structural);
    EXPECT_EQ(p.has_mask, e.explicit_mask);
    if (e.structural == cuda::StructuralMask::window) {
      EXPECT_EQ(p.window, 9);
    }
    EXPECT_FALSE(p.alibi);
    for (float s : p.slopes) EXPECT_EQ(s, 1.0f);
    EXPECT_TRUE(p.sinks.empty());
  }
}

TEST(CudaHost, RefusesOutputsThatDoNotFitTheCase) {
  const AttentionCase c = small_case();
  RunOutput wrong_shape = outputs_for(c);
  wrong_shape.o = Tensor::make(c.o_type, {1, 2, 3, 9});
  EXPECT_THROW(cuda::describe_for_device(c, wrong_shape), std::invalid_argument);
  RunOutput wrong_lse = outputs_for(c);
  wrong_lse.lse.pop_back();
  EXPECT_THROW(cuda::describe_for_device(c, wrong_lse), std::invalid_argument);
}

RC_GTEST_PROP(CudaHost, SplitPlansCoverTheKeysInWholeTiles, ()) {
  const int64_t lk = *rc::gen::inRange<int64_t>(1, 200000);
  const int requested = *rc::gen::inRange(0, 65);
  const cuda::SplitPlan plan = cuda::plan_splits(lk, requested);
  RC_ASSERT(plan.num_splits >= 1);
  RC_ASSERT(plan.keys_per_split >= cuda::kKeyTile);
  RC_ASSERT(plan.keys_per_split % cuda::kKeyTile == 0);
  RC_ASSERT(int64_t{plan.num_splits} * plan.keys_per_split >= lk);
  if (requested > 0) {
    RC_ASSERT(plan.num_splits == requested);
  } else {
    RC_ASSERT(plan.num_splits <= cuda::kMaxAutoSplits);
    RC_ASSERT(int64_t{plan.num_splits - 1} * plan.keys_per_split < lk);  // no empty chunk
    // At most kAutoSplitKeys keys per chunk until the chunk count reaches its ceiling.
    if (lk <= int64_t{cuda::kAutoSplitKeys} * cuda::kMaxAutoSplits) RC_ASSERT(plan.keys_per_split <= cuda::kAutoSplitKeys);
  }
}

TEST(CudaHost, SplitPlanExamples) {
  const struct {
    int64_t lk;
    int requested;
    int splits, keys;
  } examples[] = {
      {1, 0, 1, 32},        {256, 0, 1, 256},    {257, 0, 2, 160},  {4097, 0, 17, 256},
      {16384, 0, 32, 512},  {8193, 0, 29, 288},  {113, 16, 16, 32}, {1000, 3, 3, 352},
  };
  for (const auto& e : examples) {
    SCOPED_TRACE(testing::Message() << "lk " << e.lk << " requested " << e.requested);
    const cuda::SplitPlan plan = cuda::plan_splits(e.lk, e.requested);
    EXPECT_EQ(plan.num_splits, e.splits);
    EXPECT_EQ(plan.keys_per_split, e.keys);
  }
  EXPECT_THROW(cuda::plan_splits(100, -1), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
