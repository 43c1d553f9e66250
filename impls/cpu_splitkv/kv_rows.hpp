#pragma once
// Where a kernel finds one row of a [batch][head][token][dim] tensor in memory. The
// attention loop reads K and V only through this interface, so the same arithmetic
// runs over a framework's strided tensor or over a paged cache (paged_kv_cache.hpp).
#include <cstddef>
#include <cstdint>

#include "core/tensor.hpp"

namespace flashcheck::splitkv {

// First element of a row and the distance between its elements, in elements.
struct RowRef {
  const std::byte* first;
  int64_t stride;
};

class KvRows {
 public:
  virtual ~KvRows() = default;
  virtual RowRef locate(int64_t batch, int64_t head, int64_t token) const = 0;
};

// Rows of a case tensor, addressed through its element strides.
class StridedRows final : public KvRows {
 public:
  explicit StridedRows(const Tensor& t);
  RowRef locate(int64_t batch, int64_t head, int64_t token) const override;

 private:
  const std::byte* base_;
  Dims strides_;
  int64_t element_size_;
};

}  // namespace flashcheck::splitkv
