#include "core/tensor.hpp"

#include <cmath>
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

bool same_values(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) return false;
  for (int64_t i0 = 0; i0 < a.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.shape[3]; ++i3) {
          const double x = a.get(i0, i1, i2, i3), y = b.get(i0, i1, i2, i3);
          if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
        }
  return true;
}


bool all_finite(const Tensor& t) {
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t i = 0; i < t.shape[2]; ++i)
        for (int64_t d = 0; d < t.shape[3]; ++d)
          if (!std::isfinite(t.get(a, b, i, d))) return false;
  return true;
}


Tensor relayout(const Tensor& t, Layout layout, DType type) {
  Tensor out = Tensor::make(type, t.shape, layout);
  const size_t element_size = traits(t.dtype).size;
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t c = 0; c < t.shape[2]; ++c)
        for (int64_t d = 0; d < t.shape[3]; ++d) {
          if (type == t.dtype)
            out.set_bits(a, b, c, d, t.data() + static_cast<size_t>(t.offset(a, b, c, d)) * element_size);
          else
            out.set(a, b, c, d, t.get(a, b, c, d));
        }
  return out;
}

Tensor relayout(const Tensor& t, Layout layout) { return relayout(t, layout, t.dtype); }

}  // namespace flashcheck
