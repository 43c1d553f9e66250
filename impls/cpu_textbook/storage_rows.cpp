#include "impls/cpu_textbook/storage_rows.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include "core/dtype.hpp"

namespace flashcheck::textbook {
namespace {

// Every f16 bit pattern decoded once, as ggml keeps a table for its f16 -> f32 conversion.
const std::vector<float>& f16_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(size_t{1} << 16);
    for (size_t bits = 0; bits < t.size(); ++bits)
      t[bits] = static_cast<float>(f16_bits_to_double(static_cast<uint16_t>(bits)));  // exact: f16 is a subset of f32
    return t;
  }();
  return table;
}

uint16_t load_u16(const std::byte* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return bits;
}

void decode_f32_row(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) std::memcpy(out + d, first + d * stride * 4, sizeof(float));
}

void decode_f16_row(const std::byte* first, int64_t stride, int64_t n, float* out) {
  const float* table = f16_table().data();
  for (int64_t d = 0; d < n; ++d) out[d] = table[load_u16(first + d * stride * 2)];
}

// bf16 is the upper half of an f32, so widening is a shift.
void decode_bf16_row(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d)
    out[d] = std::bit_cast<float>(static_cast<uint32_t>(load_u16(first + d * stride * 2)) << 16);
}

// Indexed by DType, in the order of the enum (f32, f16, bf16).
constexpr std::array<RowDecoder, 3> kDecoders{decode_f32_row, decode_f16_row, decode_bf16_row};

}  // namespace

RowReader::RowReader(const Tensor& t)
    : base_(t.data()),
      strides_(t.strides),
      row_length_(t.shape[3]),
      element_size_(static_cast<int64_t>(traits(t.dtype).size)),
      decode_(kDecoders.at(static_cast<size_t>(t.dtype))) {}

void RowReader::read(int64_t i0, int64_t i1, int64_t i2, float* out) const {
  const int64_t offset = i0 * strides_[0] + i1 * strides_[1] + i2 * strides_[2];
  decode_(base_ + offset * element_size_, strides_[3], row_length_, out);
}

}  // namespace flashcheck::textbook
