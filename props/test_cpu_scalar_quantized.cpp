// Quantized K/V: the kernel's own block decoders read exactly the values the case
// dequantized, the write path's own quantizer reproduces the case's bytes, and every
// variant passes the verdict for every block scheme, row layout and Hadamard setting.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "impls/cpu_scalar/cpu_scalar_backends.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "props/test_cpu_scalar_support.hpp"

namespace flashcheck {
namespace {

using cpu_scalar::Mutant;
using cpu_scalar_testing::explain;
using cpu_scalar_testing::GradedCase;

// Small random recipes with quantized K and V: head dimensions multiples of 32.
CaseRecipe random_quantized_recipe() {
  CaseRecipe r;
  const int64_t hkv = *rc::gen::inRange<int64_t>(1, 4);
  r.shape = {.batch = *rc::gen::inRange<int64_t>(1, 3),
             .hq = hkv * *rc::gen::inRange<int64_t>(1, 3),
             .hkv = hkv,
             .lq = *rc::gen::inRange<int64_t>(1, 5),
             .lk = *rc::gen::inRange<int64_t>(1, 20),
             .dk = 32 * *rc::gen::inRange<int64_t>(1, 4),
             .dv = 32 * *rc::gen::inRange<int64_t>(1, 4)};
  r.k_type = *rc::gen::element(DType::f32, DType::f16, DType::bf16);
  r.v_type = *rc::gen::element(DType::f32, DType::f16, DType::bf16);
  r.distribution = *rc::gen::element<std::string>("normal", "uniform", "peaked", "large_scores", "huge_scores",
                                                  "large_v", "flat", "same_sign_v");
  const std::vector<std::string> schemes = kv_scheme_names();
  r.k_quant = *rc::gen::elementOf(schemes);
  r.v_quant = *rc::gen::elementOf(schemes);
  r.kv_layout = *rc::gen::element(KvRowLayout::aos, KvRowLayout::soa);
  r.hadamard = *rc::gen::arbitrary<bool>();
  r.seed = *rc::gen::inRange<uint64_t>(1, uint64_t{1} << 30);
  return r;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) return false;
  for (int64_t i0 = 0; i0 < a.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.shape[3]; ++i3)
          if (std::bit_cast<uint64_t>(a.get(i0, i1, i2, i3)) != std::bit_cast<uint64_t>(b.get(i0, i1, i2, i3)))
            return false;
  return true;
}

using ReadCache = Tensor (*)(const QuantizedKv&, Mutant);

RC_GTEST_PROP(CpuScalarQuantized, KernelDecodesTheCaseValuesBitForBitInEveryBuild, ()) {
  const CaseRecipe r = random_quantized_recipe();
  RC_TAG(r.k_quant);
  const AttentionCase c = generate(r);
  for (ReadCache read : {cpu_scalar::build_standard::read_kv_cache, cpu_scalar::build_finite_math::read_kv_cache,
                         cpu_scalar::build_fast_math::read_kv_cache}) {
    RC_ASSERT(same_bits(read(*c.k_quant, Mutant::none), c.k));
    RC_ASSERT(same_bits(read(*c.v_quant, Mutant::none), c.v));
  }
}

RC_GTEST_PROP(CpuScalarQuantized, WritePathReproducesTheCaseBytes, ()) {
  const CaseRecipe r = random_quantized_recipe();
  RC_TAG(r.k_quant);
  const AttentionCase c = generate(r);
  for (const QuantizedKv* q : {&*c.k_quant, &*c.v_quant}) {
    const std::vector<uint8_t> bytes =
        cpu_scalar::build_standard::set_rows(q->source, q->scheme, q->layout, q->hadamard, Mutant::none);
    RC_ASSERT(bytes == q->bytes);
  }
}

// The seeded write-path bug moves some MX block scales up by one: the bytes differ.
TEST(CpuScalarQuantized, ScaleRoundingBugChangesTheBytes) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = 1, .lk = 16, .dk = 64, .dv = 64};
  r.k_quant = r.v_quant = "mxfp8_e4m3";
  r.seed = 21;
  const AttentionCase c = generate(r);
  const QuantizedKv& k = *c.k_quant;
  EXPECT_EQ(cpu_scalar::build_standard::set_rows(k.source, k.scheme, k.layout, false, Mutant::none), k.bytes);
  EXPECT_NE(cpu_scalar::build_standard::set_rows(k.source, k.scheme, k.layout, false, Mutant::mx_scale_round), k.bytes);
}

TEST(CpuScalarQuantized, UnknownSchemeIsRejected) {
  const Tensor source = Tensor::make(DType::f32, {1, 1, 1, 32});
  EXPECT_THROW(cpu_scalar::build_standard::set_rows(source, "q3_k", KvRowLayout::aos, false, Mutant::none),
               std::invalid_argument);
  const Tensor odd = Tensor::make(DType::f32, {1, 1, 1, 48});
  EXPECT_THROW(cpu_scalar::build_standard::set_rows(odd, "ggml_q8_0", KvRowLayout::aos, false, Mutant::none),
               std::invalid_argument);
}

// Every scheme x layout x Hadamard (K only), K and V in the same scheme.
using GridPoint = std::tuple<std::string, KvRowLayout, bool>;

class CpuScalarQuantizedGrid : public ::testing::TestWithParam<GridPoint> {};

TEST_P(CpuScalarQuantizedGrid, EveryVariantPassesTheVerdict) {
  const auto& [scheme, layout, hadamard] = GetParam();
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 16, .lk = 72, .dk = 64, .dv = 64};
  r.distribution = "normal";
  r.mask = "causal";
  r.k_quant = r.v_quant = scheme;
  r.kv_layout = layout;
  r.hadamard = hadamard;
  r.sinks = hadamard;  // half the grid also adds sinks
  const std::vector<std::string> schemes = kv_scheme_names();
  const auto index = static_cast<uint64_t>(std::find(schemes.begin(), schemes.end(), scheme) - schemes.begin());
  r.seed = 7 + 4 * index + (layout == KvRowLayout::soa ? 2 : 0) + (hadamard ? 1 : 0);
  GradedCase g(r);
  for (cpu_scalar::Variant v : cpu_scalar::all_variants()) {
    const cli::CaseOutcome o = g.grade(std::string(cpu_scalar::variant_name(v)));
    EXPECT_EQ(o.status, cli::CaseOutcome::Status::pass) << explain(o);
  }
}

std::string grid_name(const ::testing::TestParamInfo<GridPoint>& info) {
  const auto& [scheme, layout, hadamard] = info.param;
  return scheme + "_" + std::string(kv_row_layout_name(layout)) + (hadamard ? "_hadamard" : "");
}

INSTANTIATE_TEST_SUITE_P(Schemes, CpuScalarQuantizedGrid,
                         ::testing::Combine(::testing::ValuesIn(kv_scheme_names()),
                                            ::testing::Values(KvRowLayout::aos, KvRowLayout::soa),
                                            ::testing::Bool()),
                         grid_name);

}  // namespace
}  // namespace flashcheck
