#include "impls/cpu_splitkv/paged_kv_cache.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace flashcheck::splitkv {
namespace {

// splitmix64: a fixed stream, so the page placement is the same on every run.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The pool's pages in a shuffled order (Fisher-Yates); sequences take them front to back.
std::vector<int32_t> shuffled_pages(int64_t count, uint64_t seed) {
  std::vector<int32_t> pages(static_cast<size_t>(count));
  std::iota(pages.begin(), pages.end(), 0);
  uint64_t state = 0x5EED0002ull + static_cast<uint64_t>(count) + seed * 0x9E3779B97F4A7C15ull;
  for (size_t i = pages.size(); i > 1; --i) std::swap(pages[i - 1], pages[next_random(state) % i]);
  return pages;
}

}  // namespace

PagedRows::PagedRows(const std::byte* pool, int64_t element_size, int64_t heads, int64_t dim,
                     const int32_t* block_table, int64_t pages_per_sequence, int64_t table_shift)
    : pool_(pool),
      element_size_(element_size),
      heads_(heads),
      dim_(dim),
      block_table_(block_table),
      pages_per_sequence_(pages_per_sequence),
      table_shift_(table_shift) {}

RowRef PagedRows::locate(int64_t batch, int64_t head, int64_t token) const {
  const int64_t entry = std::clamp<int64_t>(token / kPageTokens + table_shift_, 0, pages_per_sequence_ - 1);
  const int64_t page = block_table_[batch * pages_per_sequence_ + entry];
  const int64_t offset = ((page * heads_ + head) * kPageTokens + token % kPageTokens) * dim_;
  return {pool_ + offset * element_size_, 1};
}

PagedKvCache::PagedKvCache(const Tensor& k, const Tensor& v, uint64_t page_order_seed)
    : batch_(k.shape[0]),
      heads_(k.shape[1]),
      pages_per_sequence_((k.shape[2] + kPageTokens - 1) / kPageTokens),
      pool_pages_(batch_ * pages_per_sequence_ + batch_) {
  if (v.shape[0] != k.shape[0] || v.shape[1] != k.shape[1] || v.shape[2] != k.shape[2])
    throw std::invalid_argument("K and V must cover the same sequences, heads and tokens");
  const std::vector<int32_t> order = shuffled_pages(pool_pages_, page_order_seed);
  block_table_.assign(order.begin(), order.begin() + batch_ * pages_per_sequence_);
  k_ = copy_in(k);
  v_ = copy_in(v);
}

PagedKvCache::Pool PagedKvCache::copy_in(const Tensor& t) const {
  Pool pool;
  pool.element_size = static_cast<int64_t>(traits(t.dtype).size);
  pool.dim = t.shape[3];
  // Unused slots and spare pages stay zero, as a freshly allocated cache.
  pool.bytes.assign(static_cast<size_t>(pool_pages_ * heads_ * kPageTokens * pool.dim * pool.element_size),
                    std::byte{0});
  const auto bytes = static_cast<size_t>(pool.element_size);
  for (int64_t b = 0; b < batch_; ++b)
    for (int64_t token = 0; token < t.shape[2]; ++token) {
      const int64_t page = block_table_[static_cast<size_t>(b * pages_per_sequence_ + token / kPageTokens)];
      for (int64_t h = 0; h < heads_; ++h) {
        const int64_t slot = (page * heads_ + h) * kPageTokens + token % kPageTokens;
        std::byte* dst = pool.bytes.data() + slot * pool.dim * pool.element_size;
        for (int64_t d = 0; d < pool.dim; ++d)
          std::memcpy(dst + d * pool.element_size, t.data() + t.offset(b, h, token, d) * pool.element_size, bytes);
      }
    }
  return pool;
}

PagedRows PagedKvCache::rows(const Pool& pool, int64_t table_shift) const {
  return PagedRows(pool.bytes.data(), pool.element_size, heads_, pool.dim, block_table_.data(), pages_per_sequence_,
                   table_shift);
}

PagedRows PagedKvCache::key_rows(int64_t table_shift) const { return rows(k_, table_shift); }
PagedRows PagedKvCache::value_rows(int64_t table_shift) const { return rows(v_, table_shift); }

}  // namespace flashcheck::splitkv
