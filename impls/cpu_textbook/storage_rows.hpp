#pragma once
// Reads rows of a tensor's raw storage into fp32 the way a CPU kernel converts its
// inputs: a pointer, an element stride and a per-dtype decoder, no double arithmetic.
#include <cstddef>
#include <cstdint>

#include "core/tensor.hpp"

namespace flashcheck::textbook {

// Decodes n elements starting at first, stride elements apart, into out.
using RowDecoder = void (*)(const std::byte* first, int64_t stride, int64_t n, float* out);

class RowReader {
 public:
  explicit RowReader(const Tensor& t);
  // Row (i0, i1, i2) along the last dimension, n = shape[3] values.
  void read(int64_t i0, int64_t i1, int64_t i2, float* out) const;

 private:
  const std::byte* base_;
  Dims strides_;
  int64_t row_length_;
  int64_t element_size_;
  RowDecoder decode_;
};

}  // namespace flashcheck::textbook
