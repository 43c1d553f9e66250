// The paged KV cache: its block table places every logical page on its own physical
// page in a shuffled order, every row reads back through the table as the tensor
// holds it, and the paged backends give the very bits of their strided twins.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <set>

#include "impls/cpu_splitkv/paged_kv_cache.hpp"
#include "props/support/random_recipe.hpp"
#include "props/test_cpu_splitkv_helpers.hpp"

namespace flashcheck {

// How RapidCheck prints a counterexample recipe.
inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace {

using splitkv::kPageTokens;
using splitkv::PagedKvCache;
using splitkv_tests::first_difference;
using splitkv_tests::run_ok;

CaseRecipe cache_recipe(int64_t batch, int64_t hkv, int64_t lk, Layout layout, DType k_type, DType v_type) {
  CaseRecipe r;
  r.shape = {.batch = batch, .hq = hkv, .hkv = hkv, .lq = 1, .lk = lk, .dk = 24, .dv = 8};
  r.k_type = k_type;
  r.v_type = v_type;
  r.layout = layout;
  r.seed = 41;
  return r;
}

TEST(CpuPagedCache, BlockTableIsAShuffledInjectionIntoThePool) {
  const AttentionCase c = generate(cache_recipe(3, 2, 200, Layout::contiguous, DType::f16, DType::f16));
  const PagedKvCache cache(c.k, c.v);
  EXPECT_EQ(cache.pages_per_sequence(), 13);  // ceil(200 / 16)
  EXPECT_GT(cache.pool_pages(), 3 * 13) << "a shared pool holds spare pages";
  const auto& table = cache.block_table();
  ASSERT_EQ(table.size(), 3u * 13u);
  const std::set<int32_t> distinct(table.begin(), table.end());
  EXPECT_EQ(distinct.size(), table.size()) << "two logical pages share a physical page";
  for (int32_t page : table) {
    EXPECT_GE(page, 0);
    EXPECT_LT(page, cache.pool_pages());
  }
  EXPECT_FALSE(std::is_sorted(table.begin(), table.end())) << "pages must not sit in logical order";
  // Deterministic: the same shapes give the same placement.
  EXPECT_EQ(PagedKvCache(c.k, c.v).block_table(), table);
}

// The bytes of row (b, h, j) as the case's tensor stores them.
std::vector<std::byte> tensor_row(const Tensor& t, int64_t b, int64_t h, int64_t j) {
  const size_t size = traits(t.dtype).size;
  std::vector<std::byte> out(static_cast<size_t>(t.shape[3]) * size);
  for (int64_t d = 0; d < t.shape[3]; ++d)
    std::memcpy(out.data() + d * static_cast<int64_t>(size),
                t.data() + t.offset(b, h, j, d) * static_cast<int64_t>(size), size);
  return out;
}

std::vector<std::byte> paged_row(const splitkv::KvRows& rows, const Tensor& t, int64_t b, int64_t h, int64_t j) {
  const auto size = static_cast<int64_t>(traits(t.dtype).size);
  const splitkv::RowRef ref = rows.locate(b, h, j);
  std::vector<std::byte> out(static_cast<size_t>(t.shape[3] * size));
  for (int64_t d = 0; d < t.shape[3]; ++d)
    std::memcpy(out.data() + d * size, ref.first + d * ref.stride * size, static_cast<size_t>(size));
  return out;
}

TEST(CpuPagedCache, EveryRowReadsBackThroughTheTable) {
  for (Layout layout : {Layout::contiguous, Layout::seq_major, Layout::padded_rows}) {
    SCOPED_TRACE(static_cast<int>(layout));
    const AttentionCase c = generate(cache_recipe(2, 3, 37, layout, DType::bf16, DType::f32));
    const PagedKvCache cache(c.k, c.v);
    const auto keys = cache.key_rows();
    const auto values = cache.value_rows();
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t j = 0; j < 37; ++j) {
          ASSERT_EQ(paged_row(keys, c.k, b, h, j), tensor_row(c.k, b, h, j)) << b << " " << h << " " << j;
          ASSERT_EQ(paged_row(values, c.v, b, h, j), tensor_row(c.v, b, h, j)) << b << " " << h << " " << j;
        }
  }
}

TEST(CpuPagedCache, ShiftedTableReadsTheNextPageClampedAtTheEnd) {
  const AttentionCase c = generate(cache_recipe(2, 1, 70, Layout::contiguous, DType::f16, DType::f16));
  const PagedKvCache cache(c.k, c.v);
  const auto shifted = cache.key_rows(1);
  const auto exact = cache.key_rows();
  const int64_t last_page = cache.pages_per_sequence() - 1;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t j = 0; j < 70; ++j) {
      const int64_t source = j / kPageTokens < last_page ? j + kPageTokens : j;  // same slot, next page
      EXPECT_EQ(shifted.locate(b, 0, j).first, exact.locate(b, 0, source).first) << "token " << j;
    }
}

// Random recipes over every feature the kernels implement, small enough for many runs.
rc::Gen<CaseRecipe> any_small_recipe() {
  return rc::gen::exec([] {
    flashcheck::testing::RecipeSpace space;
    space.max_lq = 9;
    space.max_lk = 150;
    space.lk_at_least_lq = *rc::gen::arbitrary<bool>();
    space.softcaps = {0.0f, 20.0f};
    space.max_biases = {0.0f, 8.0f};
    space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
    return flashcheck::testing::random_recipe(space);
  });
}

// The paged kernels run the strided kernels' arithmetic on the same bits, so they must agree bit for bit.
RC_GTEST_PROP(CpuPaged, PagedBackendsEqualTheirStridedTwinsBitForBit, ()) {
  const CaseRecipe recipe = *any_small_recipe();
  const AttentionCase c = generate(recipe);
  const int64_t chunk = *rc::gen::element<int64_t>(0, 1, 7, 16, 64);
  const SplitKvConfig strided{.name = "strided", .chunk_tokens = chunk, .paged = false, .threads = 2};
  const SplitKvConfig paged{.name = "paged", .chunk_tokens = chunk, .paged = true, .threads = 2};
  const std::string diff = first_difference(run_ok(paged, c), run_ok(strided, c));
  if (!diff.empty()) RC_FAIL("chunk " + std::to_string(chunk) + ": " + diff);
}

RC_GTEST_PROP(CpuPaged, RegisteredPagedBackendsEqualTheirStridedTwins, ()) {
  const AttentionCase c = generate(*any_small_recipe());
  const SplitKvConfig single_pass{.name = "single-pass", .chunk_tokens = 0, .paged = false, .threads = 2};
  const std::string unsplit = first_difference(run_ok(kCpuPagedName, c), run_ok(single_pass, c));
  if (!unsplit.empty()) RC_FAIL(std::string(kCpuPagedName) + ": " + unsplit);
  const std::string split = first_difference(run_ok(kCpuPagedSplitKvName, c), run_ok(kCpuSplitKvName, c));
  if (!split.empty()) RC_FAIL(std::string(kCpuPagedSplitKvName) + ": " + split);
}

}  // namespace
}  // namespace flashcheck
