#include "impls/models/common/storage_io.hpp"

#include <array>
#include <bit>
#include <cstring>

#include "impls/models/common/half_bits.hpp"

namespace flashcheck::models {
namespace {

struct DTypeCodec {
  size_t bytes;
  float (*decode)(uint32_t bits);
  uint32_t (*encode)(float x);
};

// Indexed by DType (f32, f16, bf16), in the order of the enum.
constexpr std::array<DTypeCodec, 3> kCodecs{{
    {4, [](uint32_t b) { return std::bit_cast<float>(b); }, [](float x) { return std::bit_cast<uint32_t>(x); }},
    {2, [](uint32_t b) { return f16_bits_to_float(static_cast<uint16_t>(b)); },
     [](float x) { return static_cast<uint32_t>(float_to_f16_bits(x)); }},
    {2, [](uint32_t b) { return bf16_bits_to_float(static_cast<uint16_t>(b)); },
     [](float x) { return static_cast<uint32_t>(float_to_bf16_bits(x)); }},
}};

const DTypeCodec& codec(DType t) { return kCodecs.at(static_cast<size_t>(t)); }

}  // namespace

uint32_t load_bits(const Tensor& t, int64_t offset) {
  const DTypeCodec& c = codec(t.dtype);
  uint32_t bits = 0;
  if (c.bytes == 4) {
    std::memcpy(&bits, t.data() + offset * 4, 4);
  } else {
    uint16_t half = 0;
    std::memcpy(&half, t.data() + offset * 2, 2);
    bits = half;
  }
  return bits;
}

float decode_bits(DType type, uint32_t bits) { return codec(type).decode(bits); }

float load_element(const Tensor& t, int64_t offset) { return decode_bits(t.dtype, load_bits(t, offset)); }

void load_row(const Tensor& t, int64_t i0, int64_t i1, int64_t i2, float* out) {
  const int64_t first = t.offset(i0, i1, i2, 0);
  for (int64_t d = 0; d < t.shape[3]; ++d) out[d] = load_element(t, first + d * t.strides[3]);
}

void store_element(Tensor& t, int64_t offset, float x) {
  const DTypeCodec& c = codec(t.dtype);
  const uint32_t bits = c.encode(x);
  if (c.bytes == 4) {
    std::memcpy(t.data() + offset * 4, &bits, 4);
  } else {
    const auto half = static_cast<uint16_t>(bits);
    std::memcpy(t.data() + offset * 2, &half, 2);
  }
}

}  // namespace flashcheck::models
