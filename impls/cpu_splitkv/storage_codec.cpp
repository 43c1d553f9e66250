#include "impls/cpu_splitkv/storage_codec.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace flashcheck::splitkv {
namespace {

uint16_t load_u16(const std::byte* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return bits;
}

void store_u16(uint16_t bits, std::byte* p) { std::memcpy(p, &bits, sizeof bits); }

float load_f32(const std::byte* p) {
  float x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

void decode_f32_row(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) out[d] = load_f32(first + d * stride * 4);
}

void decode_f16_row(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) out[d] = f16_bits_to_f32(load_u16(first + d * stride * 2));
}

void decode_bf16_row(const std::byte* first, int64_t stride, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) out[d] = bf16_bits_to_f32(load_u16(first + d * stride * 2));
}

struct StorageOps {
  RowDecoder decode_row;
  float (*load)(const std::byte*);
  void (*store)(float, std::byte*);
};

// Indexed by DType, in the order of the enum (f32, f16, bf16).
constexpr std::array<StorageOps, 3> kOps{{
    {decode_f32_row, load_f32, [](float x, std::byte* p) { std::memcpy(p, &x, sizeof x); }},
    {decode_f16_row, [](const std::byte* p) { return f16_bits_to_f32(load_u16(p)); },
     [](float x, std::byte* p) { store_u16(f32_to_f16_bits(x), p); }},
    {decode_bf16_row, [](const std::byte* p) { return bf16_bits_to_f32(load_u16(p)); },
     [](float x, std::byte* p) { store_u16(f32_to_bf16_bits(x), p); }},
}};

const StorageOps& ops(DType type) {
  const auto index = static_cast<size_t>(type);
  if (index >= kOps.size()) throw std::invalid_argument("storage dtype not read by the split-KV kernels");
  return kOps[index];
}

}  // namespace

float f16_bits_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  if (exponent == 0x1f) {
    out = sign | 0x7f800000u | (mantissa << 13);  // inf, or NaN with its payload
  } else if (exponent != 0) {
    out = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    out = sign;
  } else {
    // Subnormal: mantissa * 2^-24, renormalised around its leading bit p.
    const auto p = static_cast<uint32_t>(std::bit_width(mantissa) - 1);
    out = sign | ((p + 127 - 24) << 23) | ((mantissa << (23 - p)) & 0x7fffffu);
  }
  return std::bit_cast<float>(out);
}

// bf16 is the upper half of an f32, so widening is a shift.
float bf16_bits_to_f32(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t f32_to_f16_bits(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (magnitude >= 0x38800000u) {                                             // normal f16 (>= 2^-14)
    const uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);    // to nearest even at bit 13
    return static_cast<uint16_t>(sign | ((rounded - ((127u - 15u) << 23)) >> 13));
  }
  // Subnormal f16: the result is round(|x| / 2^-24) = round(m * 2^(e - 126)), m with its hidden bit.
  const uint32_t exponent = magnitude >> 23;
  const uint32_t shift = 126u - exponent;  // >= 14 here
  if (exponent == 0 || shift > 24) return sign;  // below 2^-25: rounds to zero
  const uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
  uint32_t q = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (q & 1u))) ++q;  // may carry into the smallest normal: still correct bits
  return static_cast<uint16_t>(sign | q);
}

uint16_t f32_to_bf16_bits(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // keep NaN quiet
  const uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);  // overflow carries into inf
  return static_cast<uint16_t>(rounded >> 16);
}

RowDecoder row_decoder(DType type) { return ops(type).decode_row; }
float load_element(DType type, const std::byte* p) { return ops(type).load(p); }
void store_element(DType type, float x, std::byte* p) { ops(type).store(x, p); }

}  // namespace flashcheck::splitkv
