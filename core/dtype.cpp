#include "core/dtype.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace flashcheck {
namespace {

// Encodes an already-rounded value of a small binary format into sign/exponent/mantissa bits.
uint16_t pack_bits(const BinaryFormat& f, int exp_bits, double v) {
  const uint16_t sign = std::signbit(v) ? uint16_t(1u << (f.precision - 1 + exp_bits)) : 0;
  const double a = std::fabs(v);
  const int mant_bits = f.precision - 1;
  const uint32_t exp_all_ones = (1u << exp_bits) - 1;
  if (std::isnan(v)) return uint16_t(sign | (exp_all_ones << mant_bits) | (1u << (mant_bits - 1)));
  if (std::isinf(a)) return uint16_t(sign | (exp_all_ones << mant_bits));
  if (a == 0.0) return sign;
  uint64_t dbits;
  std::memcpy(&dbits, &a, sizeof dbits);
  const int e = static_cast<int>((dbits >> 52) & 0x7FF) - 1023;  // every 16-bit format value is a normal double
  if (e < f.emin) {  // subnormal: a multiple of the smallest subnormal
    return uint16_t(sign | static_cast<uint32_t>(a / f.min_subnormal()));
  }
  // A normal value of the format: its exponent and leading mantissa bits are the double's.
  const uint32_t mant = static_cast<uint32_t>((dbits >> (52 - mant_bits)) & ((uint64_t{1} << mant_bits) - 1));
  const uint32_t biased = static_cast<uint32_t>(e - f.emin + 1);
  return uint16_t(sign | (biased << mant_bits) | mant);
}

double unpack_bits(const BinaryFormat& f, int exp_bits, uint16_t h) {
  // Builds the double's bit pattern directly: this runs for every K/V element the
  // oracle decodes, and ldexp-based decoding dominated its profile.
  const int mant_bits = f.precision - 1;
  const uint64_t mant = h & ((1u << mant_bits) - 1);
  const uint32_t biased = (h >> mant_bits) & ((1u << exp_bits) - 1);
  const uint64_t sign = static_cast<uint64_t>((h >> (mant_bits + exp_bits)) & 1u) << 63;
  uint64_t bits;
  if (biased == (1u << exp_bits) - 1) {
    bits = sign | (uint64_t{0x7FF} << 52) | (mant ? (uint64_t{1} << 51) | (mant << (52 - mant_bits)) : 0);
  } else if (biased == 0) {
    const double a = static_cast<double>(mant) * f.min_subnormal();
    return sign ? -a : a;
  } else {
    const uint64_t e = static_cast<uint64_t>(static_cast<int>(biased) + f.emin - 1 + 1023);
    bits = sign | (e << 52) | (mant << (52 - mant_bits));
  }
  double r;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}

double decode_f32(const std::byte* p) {
  float f;
  std::memcpy(&f, p, sizeof f);
  return f;
}
void encode_f32(double x, std::byte* p) {
  // Rounded first: a double-to-float cast of a finite value beyond the float range is
  // undefined behaviour; the rounded value (or +-inf) converts exactly.
  const float f = static_cast<float>(kFormatF32.round_nearest_even(x));
  std::memcpy(p, &f, sizeof f);
}
double decode_f16(const std::byte* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return f16_bits_to_double(h);
}
void encode_f16(double x, std::byte* p) {
  const uint16_t h = f16_bits_from_double(x);
  std::memcpy(p, &h, sizeof h);
}
double decode_bf16(const std::byte* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return bf16_bits_to_double(h);
}
void encode_bf16(double x, std::byte* p) {
  const uint16_t h = bf16_bits_from_double(x);
  std::memcpy(p, &h, sizeof h);
}

// Every f16 value, decoded once: bulk decoding is a table lookup.
const std::array<double, 65536>& f16_table() {
  static const auto table = [] {
    std::array<double, 65536> t{};
    for (uint32_t h = 0; h < 65536; ++h) t[h] = f16_bits_to_double(static_cast<uint16_t>(h));
    return t;
  }();
  return table;
}

template <class Bits, class Decode>
void decode_strided_with(const std::byte* p, int64_t stride, int64_t n, double* out, Decode decode) {
  for (int64_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, p + i * stride * static_cast<int64_t>(sizeof(Bits)), sizeof b);
    out[i] = decode(b);
  }
}
void decode_strided_f32(const std::byte* p, int64_t stride, int64_t n, double* out) {
  decode_strided_with<float>(p, stride, n, out, [](float f) { return static_cast<double>(f); });
}
void decode_strided_f16(const std::byte* p, int64_t stride, int64_t n, double* out) {
  const auto& table = f16_table();
  decode_strided_with<uint16_t>(p, stride, n, out, [&](uint16_t h) { return table[h]; });
}
void decode_strided_bf16(const std::byte* p, int64_t stride, int64_t n, double* out) {
  decode_strided_with<uint16_t>(p, stride, n, out, [](uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;  // bf16 is the top half of an f32
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return static_cast<double>(f);
  });
}

const std::array<DTypeTraits, 3> kTraits{{
    {DType::f32, "f32", 4, kFormatF32, decode_f32, encode_f32, decode_strided_f32},
    {DType::f16, "f16", 2, kFormatF16, decode_f16, encode_f16, decode_strided_f16},
    {DType::bf16, "bf16", 2, kFormatBF16, decode_bf16, encode_bf16, decode_strided_bf16},
}};

}  // namespace

uint16_t f16_bits_from_double(double x) { return pack_bits(kFormatF16, 5, kFormatF16.round_nearest_even(x)); }
double f16_bits_to_double(uint16_t h) { return unpack_bits(kFormatF16, 5, h); }
uint16_t bf16_bits_from_double(double x) { return pack_bits(kFormatBF16, 8, kFormatBF16.round_nearest_even(x)); }
double bf16_bits_to_double(uint16_t b) { return unpack_bits(kFormatBF16, 8, b); }

const DTypeTraits& traits(DType t) { return kTraits[static_cast<size_t>(t)]; }
std::span<const DTypeTraits> all_dtypes() { return kTraits; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& t : kTraits)
    if (t.name == name) return t.id;
  return std::nullopt;
}

std::string dtype_name(DType t) { return std::string(traits(t).name); }

}  // namespace flashcheck
