#pragma once
// Reading and writing case tensors from their raw bytes, as a kernel's loads and stores
// do: an element offset, the storage dtype, and the model's own 16-bit conversions.
#include <cstdint>

#include "core/tensor.hpp"

namespace flashcheck::models {

// Element at `offset` (in elements) of a tensor's storage, widened exactly to float.
float load_element(const Tensor& t, int64_t offset);
// The innermost row [i0][i1][i2][*] widened to float (shape[3] values).
void load_row(const Tensor& t, int64_t i0, int64_t i1, int64_t i2, float* out);
// Stores x at `offset`, rounded to the tensor's dtype to nearest even.
void store_element(Tensor& t, int64_t offset, float x);

// The bytes of one element, for copying storage as-is (a KV-cache write).
uint32_t load_bits(const Tensor& t, int64_t offset);
// Decodes raw bits of a dtype exactly, as load_element does.
float decode_bits(DType type, uint32_t bits);

}  // namespace flashcheck::models
