#pragma once
// A 4-d tensor in a storage dtype with arbitrary element strides, so cases can
// hand kernels non-contiguous views exactly as a framework would.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.hpp"

namespace flashcheck {

using Dims = std::array<int64_t, 4>;

// Physical arrangements a generator can choose for [batch][head][seq][dim] tensors.
enum class Layout : uint8_t {
  contiguous,   // b, h, s, d innermost
  seq_major,    // b, s, h, d: heads interleaved per token, like a framework's KV cache
  padded_rows,  // contiguous with each row padded by a few unused elements
};

struct Tensor {
  DType dtype = DType::f32;
  Dims shape{0, 0, 0, 0};
  Dims strides{0, 0, 0, 0};  // in elements
  std::vector<std::byte> storage;

  static Tensor make(DType dtype, Dims shape, Layout layout = Layout::contiguous);

  int64_t numel() const { return shape[0] * shape[1] * shape[2] * shape[3]; }
  int64_t offset(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const {
    return i0 * strides[0] + i1 * strides[1] + i2 * strides[2] + i3 * strides[3];
  }
  bool is_contiguous() const;
  const std::byte* data() const { return storage.data(); }
  std::byte* data() { return storage.data(); }

  // Exact value of an element (the storage decodes exactly into a double).
  double get(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const;
  // The innermost row [i0][i1][i2][*], decoded into out (shape[3] values).
  void read_row(int64_t i0, int64_t i1, int64_t i2, double* out) const;
  // Stores value rounded to nearest even into the dtype.
  void set(int64_t i0, int64_t i1, int64_t i2, int64_t i3, double value);
  // Raw bit copy in and out, for codecs and special values.
  void set_bits(int64_t i0, int64_t i1, int64_t i2, int64_t i3, const void* bits);
};

// Same shape and the same value at every index, whatever the dtypes and layouts (NaN
// equals NaN; +0 equals -0).
bool same_values(const Tensor& a, const Tensor& b);
// No element is NaN or infinite.
bool all_finite(const Tensor& t);
// The same logical values in another physical arrangement: bit for bit (NaN payloads
// kept) in the same dtype, rounded to nearest even into another one.
Tensor relayout(const Tensor& t, Layout layout, DType type);
Tensor relayout(const Tensor& t, Layout layout);

}  // namespace flashcheck
