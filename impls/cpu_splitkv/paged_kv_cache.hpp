#pragma once
// A paged KV cache as vLLM keeps one: K and V live in pools of fixed-size pages, each
// page [head][slot][dim] in the storage dtype, and a block table per sequence maps its
// logical page p (tokens 16p .. 16p+15) to a physical page of the pool. The kernel
// copies the case's K and V in at run time (vLLM's reshape_and_cache) and then reads
// them only through the table.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "impls/cpu_splitkv/kv_rows.hpp"

namespace flashcheck::splitkv {

inline constexpr int64_t kPageTokens = 16;

// Rows of one pool, found through the block table. table_shift != 0 reproduces a kernel
// that looks up entry p + table_shift for logical page p (clamped to the table).
class PagedRows final : public KvRows {
 public:
  PagedRows(const std::byte* pool, int64_t element_size, int64_t heads, int64_t dim, const int32_t* block_table,
            int64_t pages_per_sequence, int64_t table_shift);
  RowRef locate(int64_t batch, int64_t head, int64_t token) const override;

 private:
  const std::byte* pool_;
  int64_t element_size_, heads_, dim_;
  const int32_t* block_table_;
  int64_t pages_per_sequence_, table_shift_;
};

class PagedKvCache {
 public:
  // K [batch][heads][tokens][dk] and V [batch][heads][tokens][dv], any strides. The pool's
  // pages are shuffled by a fixed stream chosen by page_order_seed.
  PagedKvCache(const Tensor& k, const Tensor& v, uint64_t page_order_seed = 0);

  int64_t pages_per_sequence() const { return pages_per_sequence_; }
  // The pool holds spare pages beyond those the sequences use, as a shared cache does.
  int64_t pool_pages() const { return pool_pages_; }
  // [batch][pages_per_sequence]: the physical page of each logical page.
  const std::vector<int32_t>& block_table() const { return block_table_; }

  PagedRows key_rows(int64_t table_shift = 0) const;
  PagedRows value_rows(int64_t table_shift = 0) const;

 private:
  struct Pool {
    int64_t element_size = 0, dim = 0;
    std::vector<std::byte> bytes;  // [pool_pages][heads][kPageTokens][dim]
  };
  Pool copy_in(const Tensor& t) const;
  PagedRows rows(const Pool& pool, int64_t table_shift) const;

  int64_t batch_, heads_, pages_per_sequence_, pool_pages_;
  std::vector<int32_t> block_table_;
  Pool k_, v_;
};

}  // namespace flashcheck::splitkv
