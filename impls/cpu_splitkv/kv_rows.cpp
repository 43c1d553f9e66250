#include "impls/cpu_splitkv/kv_rows.hpp"

namespace flashcheck::splitkv {

StridedRows::StridedRows(const Tensor& t)
    : base_(t.data()), strides_(t.strides), element_size_(static_cast<int64_t>(traits(t.dtype).size)) {}

RowRef StridedRows::locate(int64_t batch, int64_t head, int64_t token) const {
  const int64_t offset = batch * strides_[0] + head * strides_[1] + token * strides_[2];
  return {base_ + offset * element_size_, strides_[3]};
}

}  // namespace flashcheck::splitkv
