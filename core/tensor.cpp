#include "core/tensor.hpp"

#include <cstring>

namespace flashcheck {

Tensor Tensor::make(DType dtype, Dims shape, Layout layout) {
  Tensor t;
  t.dtype = dtype;
  t.shape = shape;
  const auto [n0, n1, n2, n3] = shape;
  int64_t alloc = 0;
  switch (layout) {
    case Layout::contiguous:
      t.strides = {n1 * n2 * n3, n2 * n3, n3, 1};
      alloc = n0 * n1 * n2 * n3;
      break;
    case Layout::seq_major:
      t.strides = {n2 * n1 * n3, n3, n1 * n3, 1};
      alloc = n0 * n1 * n2 * n3;
      break;
    case Layout::padded_rows: {
      const int64_t row = n3 + 3;  // odd padding breaks accidental alignment assumptions
      t.strides = {n1 * n2 * row, n2 * row, row, 1};
      alloc = n0 * n1 * n2 * row;
      break;
    }
  }
  t.storage.assign(static_cast<size_t>(alloc) * traits(dtype).size, std::byte{0});
  return t;
}

bool Tensor::is_contiguous() const {
  return strides[3] == 1 && strides[2] == shape[3] && strides[1] == shape[2] * shape[3] &&
         strides[0] == shape[1] * shape[2] * shape[3];
}

double Tensor::get(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const {
  const auto& tr = traits(dtype);
  return tr.decode(storage.data() + offset(i0, i1, i2, i3) * static_cast<int64_t>(tr.size));
}

void Tensor::read_row(int64_t i0, int64_t i1, int64_t i2, double* out) const {
  const auto& tr = traits(dtype);
  tr.decode_strided(storage.data() + offset(i0, i1, i2, 0) * static_cast<int64_t>(tr.size), strides[3], shape[3], out);
}

void Tensor::set(int64_t i0, int64_t i1, int64_t i2, int64_t i3, double value) {
  const auto& tr = traits(dtype);
  tr.encode_rne(value, storage.data() + offset(i0, i1, i2, i3) * static_cast<int64_t>(tr.size));
}

void Tensor::set_bits(int64_t i0, int64_t i1, int64_t i2, int64_t i3, const void* bits) {
  const auto& tr = traits(dtype);
  std::memcpy(storage.data() + offset(i0, i1, i2, i3) * static_cast<int64_t>(tr.size), bits, tr.size);
}

}  // namespace flashcheck
