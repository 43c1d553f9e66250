#include "impls/models/esimd_splitkv/paged_kv_cache.hpp"

#include <stdexcept>
#include <utility>

#include "impls/models/common/storage_io.hpp"

namespace flashcheck::models::esimd {
namespace {

// splitmix64: a fixed, library-independent stream for the page shuffle.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fisher-Yates over the physical page ids (std::shuffle's algorithm is unspecified).
std::vector<int32_t> shuffled_pages(int64_t count, uint64_t seed) {
  std::vector<int32_t> pages(static_cast<size_t>(count));
  for (int64_t p = 0; p < count; ++p) pages[static_cast<size_t>(p)] = static_cast<int32_t>(p);
  uint64_t state = seed;
  for (int64_t p = count - 1; p > 0; --p) {
    const auto other = static_cast<int64_t>(next_random(state) % static_cast<uint64_t>(p + 1));
    std::swap(pages[static_cast<size_t>(p)], pages[static_cast<size_t>(other)]);
  }
  return pages;
}

}  // namespace

PagedKvCache::PagedKvCache(const Tensor& source, int64_t page_tokens, uint64_t shuffle_seed)
    : dtype_(source.dtype), heads_(source.shape[1]), dim_(source.shape[3]), page_tokens_(page_tokens) {
  if (page_tokens < 1) throw std::invalid_argument("a KV page holds at least one token");
  const int64_t batch = source.shape[0], tokens = source.shape[2];
  pages_per_seq_ = (tokens + page_tokens - 1) / page_tokens;
  block_table_ = shuffled_pages(batch * pages_per_seq_, shuffle_seed);
  cells_.assign(static_cast<size_t>(batch * pages_per_seq_ * page_tokens * heads_ * dim_), 0u);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t g = 0; g < heads_; ++g)
      for (int64_t pos = 0; pos < tokens; ++pos)
        for (int64_t d = 0; d < dim_; ++d)
          cells_[static_cast<size_t>(physical_index(b, pos, g, d))] = load_bits(source, source.offset(b, g, pos, d));
}

int64_t PagedKvCache::physical_index(int64_t b, int64_t pos, int64_t g, int64_t d) const {
  const int64_t page = block_table_[static_cast<size_t>(b * pages_per_seq_ + pos / page_tokens_)];
  const int64_t slot = pos % page_tokens_;
  return ((page * page_tokens_ + slot) * heads_ + g) * dim_ + d;
}

uint32_t PagedKvCache::bits(int64_t b, int64_t pos, int64_t g, int64_t d) const {
  return cells_[static_cast<size_t>(physical_index(b, pos, g, d))];
}

float PagedKvCache::load(int64_t b, int64_t pos, int64_t g, int64_t d) const {
  return decode_bits(dtype_, bits(b, pos, g, d));
}

void PagedKvCache::load_row(int64_t b, int64_t pos, int64_t g, float* out) const {
  const uint32_t* first = cells_.data() + physical_index(b, pos, g, 0);
  for (int64_t d = 0; d < dim_; ++d) out[d] = decode_bits(dtype_, first[d]);
}

}  // namespace flashcheck::models::esimd
