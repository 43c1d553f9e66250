#pragma once
// Storage element types of case tensors, described by one trait table (as ggml's
// type_traits): name, width, the binary format whose values it holds, and its codec.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/binary_format.hpp"

namespace flashcheck {

enum class DType : uint8_t { f32, f16, bf16 };

struct DTypeTraits {
  DType id;
  std::string_view name;
  size_t size;  // bytes per element
  BinaryFormat format;
  // Bits of the storage encoding <-> the exact value it represents.
  double (*decode)(const std::byte* p);
  void (*encode_rne)(double value, std::byte* p);  // round to nearest even, overflow to inf
  // n elements, `stride` elements apart, decoded into out (the bulk path of decode).
  void (*decode_strided)(const std::byte* p, int64_t stride, int64_t n, double* out);
};

const DTypeTraits& traits(DType t);
std::span<const DTypeTraits> all_dtypes();
std::optional<DType> parse_dtype(std::string_view name);
std::string dtype_name(DType t);

// Bit-level codecs shared by the table and by kernels that must read raw storage.
uint16_t f16_bits_from_double(double x);  // round to nearest even
double f16_bits_to_double(uint16_t h);
uint16_t bf16_bits_from_double(double x);
double bf16_bits_to_double(uint16_t b);

// Round a value to what the storage type holds (the exact value a kernel reads).
inline double round_to(DType t, double x) { return traits(t).format.round_nearest_even(x); }

}  // namespace flashcheck
