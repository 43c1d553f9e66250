#pragma once
// NumPy's .npy files (format versions 1.0, 2.0 and 3.0), the exchange format of bundles
// (docs/bundle-protocol.md): a magic string, a Python-literal header naming the dtype,
// order and shape, then the raw elements. Only what bundles need: little-endian f16,
// f32, f64, u8, u16 and bool, C or Fortran order (read back in C order).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flashcheck::cli {

enum class NpyType : uint8_t { f16, f32, f64, u8, u16, boolean };

struct NpyArray {
  NpyType type = NpyType::f32;
  std::vector<int64_t> shape;   // () for a scalar
  std::vector<std::byte> data;  // the elements in C order, little-endian

  int64_t numel() const;
  // Element `index` (C order) as an exact double (u16 as its integer value).
  double value(int64_t index) const;
};

// "<f4", "|u1"...: the descr NumPy writes for the type.
std::string_view npy_descr(NpyType t);
size_t npy_item_size(NpyType t);
// "[2, 3]": for messages.
std::string npy_shape_text(const std::vector<int64_t>& shape);

// Version 1.0 bytes (2.0 when the header does not fit), header padded to 64 bytes.
// Throws std::invalid_argument when data does not hold numel() elements.
std::vector<std::byte> encode_npy(const NpyArray& a);

// Never reads past the input. Throws std::invalid_argument naming the problem: a bad
// magic or version, a malformed header, an unsupported dtype, a size that does not
// match the shape, more than max_elements elements.
NpyArray decode_npy(std::span<const std::byte> bytes, int64_t max_elements = int64_t{1} << 30);

// Files. read throws std::runtime_error naming the path when it cannot be read, and
// std::invalid_argument naming the path and the problem when the content is rejected.
// write is atomic (core/case_json.hpp, write_file_atomically).
NpyArray read_npy_file(const std::string& path, int64_t max_elements = int64_t{1} << 30);
void write_npy_file(const std::string& path, const NpyArray& a);

}  // namespace flashcheck::cli
