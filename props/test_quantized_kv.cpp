// Cases with block-quantized K/V: the generator's bytes, the documented row layout,
// the dequantized tensors the oracle reads, and validation of inconsistent cases.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "core/generator.hpp"
#include "core/quantized_kv.hpp"

namespace flashcheck {
namespace {

CaseRecipe quantized_recipe(const std::string& k_scheme, const std::string& v_scheme, KvRowLayout layout) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 4, .hkv = 2, .lq = 3, .lk = 9, .dk = 64, .dv = 32};
  r.k_type = DType::f32;
  r.v_type = DType::f16;
  r.mask = "causal";
  r.k_quant = k_scheme;
  r.v_quant = v_scheme;
  r.kv_layout = layout;
  r.seed = 77;
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

TEST(QuantizedKv, EverySchemeAndLayoutGivesAValidCaseOfDequantizedValues) {
  for (const std::string& scheme : kv_scheme_names())
    for (KvRowLayout layout : {KvRowLayout::aos, KvRowLayout::soa}) {
      SCOPED_TRACE(scheme + " " + std::string(kv_row_layout_name(layout)));
      const AttentionCase c = generate(quantized_recipe(scheme, scheme, layout));
      EXPECT_EQ(validate(c), "");
      ASSERT_TRUE(c.k_quant && c.v_quant);
      EXPECT_EQ(c.k_type, DType::f32);
      EXPECT_EQ(c.v_type, DType::f32);
      EXPECT_TRUE(same_bits(c.k, dequantize_kv(*c.k_quant)));
      EXPECT_EQ(c.k_quant->row_bytes * c.shape.batch * c.shape.lk, static_cast<int64_t>(c.k_quant->bytes.size()));
      // Quantization changes values, but not beyond the block's range.
      double moved = 0;
      for (int64_t j = 0; j < c.shape.lk; ++j)
        for (int64_t d = 0; d < c.shape.dk; ++d) moved += std::fabs(c.k.get(1, 1, j, d) - c.k_quant->source.get(1, 1, j, d));
      EXPECT_GT(moved, 0.0);
    }
}

TEST(QuantizedKv, SourceIsTheUnquantizedCasesKAndAosSoaDequantizeIdentically) {
  CaseRecipe plain = quantized_recipe("", "", KvRowLayout::aos);
  const AttentionCase unquantized = generate(plain);
  for (const std::string& scheme : kv_scheme_names()) {
    SCOPED_TRACE(scheme);
    const AttentionCase aos = generate(quantized_recipe(scheme, scheme, KvRowLayout::aos));
    const AttentionCase soa = generate(quantized_recipe(scheme, scheme, KvRowLayout::soa));
    EXPECT_TRUE(same_bits(aos.k_quant->source, unquantized.k));
    EXPECT_TRUE(same_bits(aos.v_quant->source, unquantized.v));
    EXPECT_TRUE(same_bits(aos.k, soa.k));
    EXPECT_TRUE(same_bits(aos.v, soa.v));
    EXPECT_NE(aos.k_quant->bytes, soa.k_quant->bytes);
    EXPECT_TRUE(same_bits(without_quantization(aos).k, unquantized.k));
  }
}

// The layout documented in core/quantized_kv.hpp, decoded here independently.
float f16_to_float(uint16_t h) {
  const int exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  const float mag = exp == 0 ? std::ldexp(static_cast<float>(man), -24)
                             : std::ldexp(static_cast<float>(man | 0x400), exp - 25);
  return (h & 0x8000) ? -mag : mag;
}

TEST(QuantizedKv, Q8_0AosRowsFollowTheDocumentedLayout) {
  const AttentionCase c = generate(quantized_recipe("ggml_q8_0", "", KvRowLayout::aos));
  const QuantizedKv& q = *c.k_quant;
  ASSERT_EQ(q.row_bytes, c.shape.hkv * c.shape.dk / 32 * 34);
  for (int64_t b = 0; b < c.shape.batch; ++b)
    for (int64_t j = 0; j < c.shape.lk; ++j) {
      const uint8_t* row = q.row(b, j);
      for (int64_t h = 0; h < c.shape.hkv; ++h)
        for (int64_t d = 0; d < c.shape.dk; ++d) {
          const int64_t block = (h * c.shape.dk + d) / 32, in_block = d % 32;
          const uint8_t* blk = row + block * 34;
          const float scale = f16_to_float(static_cast<uint16_t>(blk[0] | (blk[1] << 8)));
          const auto code = static_cast<int8_t>(blk[2 + in_block]);
          ASSERT_EQ(scale * static_cast<float>(code), c.k.get(b, h, j, d)) << "b " << b << " j " << j << " h " << h;
        }
    }
}

TEST(QuantizedKv, Mxfp8SoaRowsPutElementsFirstThenScales) {
  const AttentionCase c = generate(quantized_recipe("mxfp8_e4m3", "", KvRowLayout::soa));
  const QuantizedKv& q = *c.k_quant;
  const int64_t n_blocks = c.shape.hkv * c.shape.dk / 32;
  ASSERT_EQ(q.row_bytes, n_blocks * 33);
  auto e4m3 = [](uint8_t code) {
    const int exp = (code >> 3) & 0xF, man = code & 7;
    const double mag = exp == 0 ? std::ldexp(man, -9) : std::ldexp(8 + man, exp - 10);
    return (code & 0x80) ? -mag : mag;
  };
  const uint8_t* row = q.row(1, 4);
  for (int64_t h = 0; h < c.shape.hkv; ++h)
    for (int64_t d = 0; d < c.shape.dk; ++d) {
      const int64_t block = (h * c.shape.dk + d) / 32;
      const double scale = std::ldexp(1.0, row[n_blocks * 32 + block] - 127);
      EXPECT_EQ(scale * e4m3(row[block * 32 + d % 32]), c.k.get(1, h, 4, d)) << "h " << h << " d " << d;
    }
}

TEST(QuantizedKv, HadamardRotatesKBeforeQuantizingAndRecordsTheRotatedQ) {
  CaseRecipe r = quantized_recipe("mxfp6_e2m3", "", KvRowLayout::soa);
  r.hadamard = true;
  const AttentionCase c = generate(r);
  EXPECT_EQ(validate(c), "");
  ASSERT_TRUE(c.rotated_q.has_value());
  EXPECT_TRUE(same_bits(*c.rotated_q, rotate_q_rows(c.q)));
  EXPECT_TRUE(c.k_quant->hadamard);
  // The dequantized K lives in the rotated domain: its block sums of squares match the
  // source's (an orthonormal rotation) up to quantization, not its elements.
  double src_energy = 0, deq_energy = 0, elementwise = 0;
  for (int64_t d = 0; d < 32; ++d) {
    const double s = c.k_quant->source.get(0, 0, 0, d), k = c.k.get(0, 0, 0, d);
    src_energy += s * s;
    deq_energy += k * k;
    elementwise += std::fabs(s - k);
  }
  EXPECT_NEAR(deq_energy / src_energy, 1.0, 0.1);
  EXPECT_GT(elementwise, 0.1);
}

TEST(QuantizedKv, VNanScalePutsAnE8m0NanBlockAtTheLastKey) {
  for (KvRowLayout layout : {KvRowLayout::aos, KvRowLayout::soa}) {
    CaseRecipe r = quantized_recipe("", "mxfp6_e2m3", layout);
    r.v_nan_scale = true;
    const AttentionCase c = generate(r);
    EXPECT_EQ(validate(c), "");
    const int64_t last = c.shape.lk - 1;
    for (int64_t d = 0; d < 32; ++d) EXPECT_TRUE(std::isnan(c.v.get(0, 0, last, d))) << d;
    EXPECT_FALSE(std::isnan(c.v.get(0, 1, last, 0)));
    EXPECT_FALSE(std::isnan(c.v.get(0, 0, last - 1, 0)));
    EXPECT_FALSE(std::isnan(c.v.get(1, 0, last, 0)));
  }
  CaseRecipe ggml = quantized_recipe("", "ggml_mxfp4", KvRowLayout::aos);
  ggml.v_nan_scale = true;
  EXPECT_THROW((void)generate(ggml), std::invalid_argument);
}

TEST(QuantizedKv, ValidationCatchesInconsistentCases) {
  CaseRecipe r = quantized_recipe("ggml_q4_0", "mxfp4_e2m1", KvRowLayout::aos);
  r.hadamard = true;
  const AttentionCase good = generate(r);
  ASSERT_EQ(validate(good), "");

  AttentionCase flipped = good;
  flipped.k_quant->bytes[5] ^= 0x11;
  EXPECT_NE(validate(flipped).find("does not hold the dequantized values"), std::string::npos) << validate(flipped);

  AttentionCase short_bytes = good;
  short_bytes.v_quant->bytes.pop_back();
  EXPECT_NE(validate(short_bytes).find("bytes"), std::string::npos);

  AttentionCase unknown = good;
  unknown.v_quant->scheme = "q9_9";
  EXPECT_NE(validate(unknown).find("unknown block scheme"), std::string::npos);

  AttentionCase no_rotated_q = good;
  no_rotated_q.rotated_q.reset();
  EXPECT_NE(validate(no_rotated_q).find("rotated_q"), std::string::npos);

  AttentionCase stale_q = good;
  stale_q.q.set(0, 0, 0, 0, 1234.0);
  EXPECT_NE(validate(stale_q).find("not the block-32 Hadamard rotation"), std::string::npos);

  AttentionCase rotated_v = good;
  rotated_v.v_quant->hadamard = true;
  EXPECT_NE(validate(rotated_v).find("V cannot be Hadamard-rotated"), std::string::npos);
}

TEST(QuantizedKv, RecipesThatCannotBeQuantizedAreRejectedWithReasons) {
  auto message_of = [](const CaseRecipe& r) {
    try {
      (void)generate(r);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CaseRecipe odd_dim = quantized_recipe("ggml_q8_0", "", KvRowLayout::aos);
  odd_dim.shape.dk = 40;
  EXPECT_NE(message_of(odd_dim).find("multiple of 32"), std::string::npos) << message_of(odd_dim);

  CaseRecipe special = quantized_recipe("ggml_q8_0", "", KvRowLayout::aos);
  special.distribution = "special";
  EXPECT_NE(message_of(special).find("inf/NaN"), std::string::npos) << message_of(special);

  CaseRecipe hadamard_alone = quantized_recipe("", "ggml_q8_0", KvRowLayout::aos);
  hadamard_alone.hadamard = true;
  EXPECT_NE(message_of(hadamard_alone).find("needs --k-quant"), std::string::npos) << message_of(hadamard_alone);

  CaseRecipe unknown = quantized_recipe("nf4", "", KvRowLayout::aos);
  EXPECT_NE(message_of(unknown).find("known:"), std::string::npos) << message_of(unknown);
}

}  // namespace
}  // namespace flashcheck
