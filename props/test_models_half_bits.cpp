// The models' own 16-bit conversions against the core codecs: every f16 / bf16 pattern
// decoded, and float -> 16 bits at every representable value, every midpoint and its
// neighbours, and a deterministic sweep of other floats.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"
#include "impls/models/common/half_bits.hpp"
#include "impls/models/common/storage_io.hpp"

namespace flashcheck::models {
namespace {

bool same_bits_or_both_nan(uint16_t got, uint16_t want, bool (*is_nan)(uint16_t)) {
  return got == want || (is_nan(got) && is_nan(want));
}
bool f16_is_nan(uint16_t b) { return (b & 0x7c00u) == 0x7c00u && (b & 0x3ffu) != 0; }
bool bf16_is_nan(uint16_t b) { return (b & 0x7f80u) == 0x7f80u && (b & 0x7fu) != 0; }

// Floats around every value of a 16-bit format: the value, the midpoints to its neighbours
// and the floats just either side of those midpoints.
std::vector<float> probes(float (*decode)(uint16_t)) {
  std::vector<float> out;
  for (uint32_t bits = 0; bits < 0x7c00u; ++bits) {  // every finite positive f16 / the low bf16 range
    const float x = decode(static_cast<uint16_t>(bits));
    const float next = decode(static_cast<uint16_t>(bits + 1));
    if (!std::isfinite(next)) continue;
    const float mid = x + (next - x) / 2;  // exact: one more bit than the 16-bit format
    for (float p : {x, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      out.push_back(p);
      out.push_back(-p);
    }
  }
  uint32_t state = 12345;
  for (int i = 0; i < 1 << 20; ++i) {  // xorshift32 over all float bit patterns
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    out.push_back(std::bit_cast<float>(state));
  }
  for (float special : {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                        std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(), 65504.0f,
                        65519.996f, 65520.0f})
    out.push_back(special);
  return out;
}

TEST(ModelsHalfBits, DecodesEveryPatternExactly) {
  for (uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    const auto b = static_cast<uint16_t>(bits);
    const double f16 = f16_bits_to_double(b), bf16 = bf16_bits_to_double(b);
    if (std::isnan(f16))
      EXPECT_TRUE(std::isnan(f16_bits_to_float(b)));
    else
      ASSERT_EQ(f16_bits_to_float(b), f16) << std::hex << bits;
    if (std::isnan(bf16))
      EXPECT_TRUE(std::isnan(bf16_bits_to_float(b)));
    else
      ASSERT_EQ(bf16_bits_to_float(b), bf16) << std::hex << bits;
  }
}

TEST(ModelsHalfBits, F16RoundsToNearestEven) {
  for (float x : probes(f16_bits_to_float))
    ASSERT_TRUE(same_bits_or_both_nan(float_to_f16_bits(x), f16_bits_from_double(x), f16_is_nan))
        << x << " " << std::hexfloat << x;
  EXPECT_TRUE(f16_is_nan(float_to_f16_bits(std::numeric_limits<float>::quiet_NaN())));
}

TEST(ModelsHalfBits, Bf16RoundsToNearestEven) {
  for (float x : probes(bf16_bits_to_float))
    ASSERT_TRUE(same_bits_or_both_nan(float_to_bf16_bits(x), bf16_bits_from_double(x), bf16_is_nan))
        << x << " " << std::hexfloat << x;
  EXPECT_TRUE(bf16_is_nan(float_to_bf16_bits(std::numeric_limits<float>::quiet_NaN())));
}

// Stores round to the tensor's dtype; loads widen exactly, whatever the strides.
TEST(ModelsHalfBits, StorageStoresRoundAndLoadsWiden) {
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    Tensor x = Tensor::make(t, {1, 2, 3, 5}, Layout::padded_rows);
    const float value = 0.1f;
    store_element(x, x.offset(0, 1, 2, 4), value);
    EXPECT_EQ(x.get(0, 1, 2, 4), round_to(t, value));
    EXPECT_EQ(load_element(x, x.offset(0, 1, 2, 4)), round_to(t, value));
    float row[5];
    load_row(x, 0, 1, 2, row);
    EXPECT_EQ(row[4], round_to(t, value));
    EXPECT_EQ(row[0], 0.0f);
  }
}

}  // namespace
}  // namespace flashcheck::models
