#include "impls/cpu_scalar/kv_row_reader.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "impls/cpu_scalar/kernel_entry.hpp"
#include "impls/cpu_scalar/scalar_convert.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {
namespace {

uint16_t load_u16(const std::byte* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return bits;
}

void decode_f32(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) std::memcpy(out + d, first + d * stride * 4, sizeof(float));
}

void decode_f16(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) out[d] = f16_to_f32(load_u16(first + d * stride * 2));
}

void decode_bf16(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) out[d] = bf16_to_f32(load_u16(first + d * stride * 2));
}

struct StorageCodec {
  DType type;
  int64_t size;
  void (*decode)(const std::byte*, int64_t, int64_t, float*);
};
constexpr std::array<StorageCodec, 3> kCodecs{{
    {DType::f32, 4, decode_f32},
    {DType::f16, 2, decode_f16},
    {DType::bf16, 2, decode_bf16},
}};

const StorageCodec& codec_of(DType t) {
  for (const StorageCodec& c : kCodecs)
    if (c.type == t) return c;
  throw std::invalid_argument("cpu-scalar: no decoder for this storage dtype");
}

const BlockScheme& scheme_or_throw(const std::string& name) {
  const BlockScheme* s = find_block_scheme(name);
  if (s == nullptr) throw std::invalid_argument("cpu-scalar: unknown KV block scheme " + name);
  return *s;
}

}  // namespace

StorageRows::StorageRows(const Tensor& t)
    : base_(t.data()),
      strides_(t.strides),
      length_(t.shape[3]),
      element_size_(codec_of(t.dtype).size),
      decode_(codec_of(t.dtype).decode) {}

void StorageRows::read(int64_t i0, int64_t i1, int64_t i2, float* out) const {
  const int64_t offset = i0 * strides_[0] + i1 * strides_[1] + i2 * strides_[2];
  decode_(base_ + offset * element_size_, strides_[3], length_, out);
}

QuantizedRows::QuantizedRows(const QuantizedKv& q, Mutant mutant)
    : q_(q),
      scheme_(scheme_or_throw(q.scheme)),
      values_(element_values(scheme_)),
      n_blocks_(q.heads * q.dim / kBlockSize),
      blocks_per_head_(q.dim / kBlockSize),
      nibbles_(mutant == Mutant::nibble_order_swapped ? other_order(scheme_.nibbles) : scheme_.nibbles),
      soa_head_offset_twice_(mutant == Mutant::soa_head_offset_twice && q.layout == KvRowLayout::soa),
      e8m0_ff_as_inf_(mutant == Mutant::e8m0_ff_as_inf) {}

void QuantizedRows::read(int64_t b, int64_t head, int64_t token, float* out) const {
  const uint8_t* row = q_.row(b, token);
  const int64_t first = head * blocks_per_head_;
  std::array<uint8_t, kBlockSize> codes{};
  for (int64_t n = 0; n < blocks_per_head_; ++n) {
    const BlockAddress at = block_address(scheme_, q_.layout, n_blocks_, first + n);
    int64_t scale_at = at.scale_at;
    if (soa_head_offset_twice_) {
      // The seeded bug: the head's scale offset is added again on a head-based index.
      const int64_t wrong = (first + first + n) % n_blocks_;
      scale_at = block_address(scheme_, q_.layout, n_blocks_, wrong).scale_at;
    }
    float scale = scale_value(scheme_, row + scale_at);
    // The seeded bug: 0xFF taken as an ordinary exponent, 2^(255 - 127), which is inf in f32.
    if (e8m0_ff_as_inf_ && scheme_.scale == ScaleKind::e8m0_ocp && row[scale_at] == 0xFFu) scale = INFINITY;
    unpack_codes(scheme_, row + at.elements_at, nibbles_, codes.data());
    float* dst = out + n * kBlockSize;
    for (int i = 0; i < kBlockSize; ++i) dst[i] = values_[codes[static_cast<size_t>(i)]] * scale;
  }
}

KvRows::KvRows(const Tensor& plain, const std::optional<QuantizedKv>& quantized, Mutant mutant)
    : plain_(plain) {
  if (quantized) quantized_.emplace(*quantized, mutant);
}

Tensor read_kv_cache(const QuantizedKv& q, Mutant mutant) {
  const QuantizedRows rows(q, mutant);
  Tensor t = Tensor::make(DType::f32, {q.batch, q.heads, q.tokens, q.dim});
  for (int64_t b = 0; b < q.batch; ++b)
    for (int64_t h = 0; h < q.heads; ++h)
      for (int64_t j = 0; j < q.tokens; ++j)
        rows.read(b, h, j, reinterpret_cast<float*>(t.data()) + t.offset(b, h, j, 0));
  return t;
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
