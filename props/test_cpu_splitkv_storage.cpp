// The split-KV kernels' own storage conversions against the harness's codecs: every
// f16 / bf16 bit pattern decoded, f32 -> f16 / bf16 rounding on a sweep of the f32
// bit space plus the rounding boundaries, and the strided row decoder.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/dtype.hpp"
#include "impls/cpu_splitkv/storage_codec.hpp"
#include "props/test_cpu_splitkv_helpers.hpp"

namespace flashcheck {
namespace {

using splitkv_tests::fmt_value;

// Same value, or both NaN; zeros must agree in sign.
bool same_float(float got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return std::bit_cast<uint64_t>(static_cast<double>(got)) == std::bit_cast<uint64_t>(want);
}

TEST(CpuSplitKvStorage, F16DecodeMatchesTheFormatOnEveryBitPattern) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float got = splitkv::f16_bits_to_f32(h);
    const double want = f16_bits_to_double(h);
    ASSERT_TRUE(same_float(got, want)) << "f16 bits 0x" << std::hex << bits << ": " << fmt_value(got) << " vs "
                                       << fmt_value(want);
  }
}

TEST(CpuSplitKvStorage, Bf16DecodeMatchesTheFormatOnEveryBitPattern) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto b = static_cast<uint16_t>(bits);
    const float got = splitkv::bf16_bits_to_f32(b);
    const double want = bf16_bits_to_double(b);
    ASSERT_TRUE(same_float(got, want)) << "bf16 bits 0x" << std::hex << bits << ": " << fmt_value(got) << " vs "
                                       << fmt_value(want);
  }
}

// x rounded by the kernel's encoder and by the format's own rounding must hold the same value.
void expect_rounds_like_the_format(float x) {
  const double f16_want = round_to(DType::f16, x);
  const double bf16_want = round_to(DType::bf16, x);
  const float f16_got = splitkv::f16_bits_to_f32(splitkv::f32_to_f16_bits(x));
  const float bf16_got = splitkv::bf16_bits_to_f32(splitkv::f32_to_bf16_bits(x));
  ASSERT_TRUE(same_float(f16_got, f16_want)) << "f16 of " << fmt_value(x) << ": " << fmt_value(f16_got) << " vs "
                                             << fmt_value(f16_want);
  ASSERT_TRUE(same_float(bf16_got, bf16_want)) << "bf16 of " << fmt_value(x) << ": " << fmt_value(bf16_got)
                                               << " vs " << fmt_value(bf16_want);
}

TEST(CpuSplitKvStorage, EncodersRoundToNearestEvenAtTheBoundaries) {
  const float edges[] = {0.0f, -0.0f, 65504.0f, 65519.996f, 65520.0f, 65536.0f, 0x1p-14f, 0x1.ffcp-15f,
                         0x1.ffep-15f, 0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1.8p-24f, 0x1.8p-23f,
                         0x1.002p0f, 0x1.006p0f, 0x1.0001p0f, 0x1.0003p0f, 0x1.fffffep127f, 0x1p-149f,
                         INFINITY, -INFINITY, NAN, 1.0f / 3.0f, -2.5f};
  for (float x : edges) {
    expect_rounds_like_the_format(x);
    expect_rounds_like_the_format(-x);
  }
}

TEST(CpuSplitKvStorage, EncodersRoundLikeTheFormatAcrossTheF32BitSpace) {
  // A prime stride visits every exponent and many mantissa patterns of both signs.
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 4093) {
    expect_rounds_like_the_format(std::bit_cast<float>(static_cast<uint32_t>(bits)));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

RC_GTEST_PROP(CpuSplitKvStorage, EncodersRoundLikeTheFormatOnRandomFloats, (uint32_t bits)) {
  const float x = std::bit_cast<float>(bits);
  const float f16 = splitkv::f16_bits_to_f32(splitkv::f32_to_f16_bits(x));
  const float bf16 = splitkv::bf16_bits_to_f32(splitkv::f32_to_bf16_bits(x));
  RC_ASSERT(same_float(f16, round_to(DType::f16, x)));
  RC_ASSERT(same_float(bf16, round_to(DType::bf16, x)));
}

TEST(CpuSplitKvStorage, RowDecoderFollowsTheElementStride) {
  for (DType type : {DType::f32, DType::f16, DType::bf16}) {
    SCOPED_TRACE(dtype_name(type));
    const size_t size = traits(type).size;
    const float values[] = {1.5f, -0.25f, 3.0f, 0x1p-10f};
    std::vector<std::byte> storage(3 * 4 * size, std::byte{0xff});  // gaps hold NaN-like junk
    for (size_t i = 0; i < 4; ++i) splitkv::store_element(type, values[i], storage.data() + 3 * i * size);
    float out[4];
    splitkv::row_decoder(type)(storage.data(), 3, 4, out);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(out[i], values[i]);
      EXPECT_EQ(splitkv::load_element(type, storage.data() + 3 * i * size), values[i]);
    }
  }
}

}  // namespace
}  // namespace flashcheck
