#pragma once
// A paged KV cache as vLLM lays it out for the ESIMD kernel: physical pages of
// `page_tokens` tokens, each token holding every KV head's row ([page][token][head][dim]),
// and a block table mapping (sequence, logical page) to a physical page. The pages of all
// sequences are placed in a shuffled, deterministic order so that a kernel which ignored
// the block table would read the wrong tokens.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace flashcheck::models::esimd {

class PagedKvCache {
 public:
  // Copies the storage bits of `source` ([batch][heads][tokens][dim], any layout) into
  // pages; `shuffle_seed` fixes the physical page order.
  PagedKvCache(const Tensor& source, int64_t page_tokens, uint64_t shuffle_seed);

  int64_t pages_per_sequence() const { return pages_per_seq_; }
  // block_table[b * pages_per_sequence() + logical page] = physical page.
  const std::vector<int32_t>& block_table() const { return block_table_; }
  DType dtype() const { return dtype_; }

  // Element d of the row of token `pos` of sequence b, head g, read through the block
  // table and widened to float as the kernel's block_load converts it.
  float load(int64_t b, int64_t pos, int64_t g, int64_t d) const;
  // The whole row (dim values) of token `pos`, sequence b, head g, widened to float.
  void load_row(int64_t b, int64_t pos, int64_t g, float* out) const;
  // Raw storage bits of that element (what the cache write copied).
  uint32_t bits(int64_t b, int64_t pos, int64_t g, int64_t d) const;

 private:
  int64_t physical_index(int64_t b, int64_t pos, int64_t g, int64_t d) const;

  DType dtype_;
  int64_t heads_, dim_, page_tokens_, pages_per_seq_;
  std::vector<int32_t> block_table_;
  std::vector<uint32_t> cells_;  // one element's bits per cell, [page][token][head][dim]
};

}  // namespace flashcheck::models::esimd
