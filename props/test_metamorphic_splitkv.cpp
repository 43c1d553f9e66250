// Metamorphic relations of the split-KV and paged kernels (the cpu-splitkv family, whose
// chunking and paging are parameters of one kernel): the split computation with its LSE
// merge equals the unsplit one within budget at any chunk count, and reading K/V through
// a paged cache, under any page order, equals reading them contiguously bit for bit.
// Other subjects expose neither parameter and skip.
#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <vector>

#include "impls/cpu_splitkv/cpu_splitkv.hpp"
#include "impls/cpu_splitkv/paged_kv_cache.hpp"
#include "props/test_metamorphic_support.hpp"

namespace flashcheck::metamorphic {
namespace {

// The registered configuration of a cpu-splitkv family subject, or nothing.
std::optional<SplitKvConfig> splitkv_config(const std::string& subject) {
  for (const SplitKvConfig& config : registered_splitkv_configs())
    if (config.name == subject) return config;
  return std::nullopt;
}

RunOutput run_config(const SplitKvConfig& config, const AttentionCase& c) {
  const auto backend = make_cpu_splitkv_backend(config);
  return run_or_discard(*backend, c);
}

// ---- (e) split-KV with an LSE merge equals the unsplit computation ------------------

class SplitKvMerge : public SubjectProperty {};

// The subject's kernel with no split, with its registered chunking, and with chunk sizes
// that cut the keys into 1, 2, 3 and a drawn number of chunks (up to one key per chunk):
// every result must pass the verdict against the one exact answer, so any two are within
// the sum of their budgets of each other.
TEST_P(SplitKvMerge, holds) {
  const std::optional<SplitKvConfig> registered = splitkv_config(GetParam());
  if (!registered) GTEST_SKIP() << GetParam() << " is not a cpu-splitkv kernel: its chunking cannot be chosen";
  check([this, registered] {
    const AttentionCase c = generate(draw_recipe(subject(), CaseSpace{}));
    const OracleResult oracle = oracle_of(c);
    SplitKvConfig unsplit = *registered;
    unsplit.chunk_tokens = 0;
    require_verdict(subject(), c, oracle, run_config(unsplit, c), "unsplit (one online softmax over every key)");
    require_verdict(subject(), c, oracle, run_or_discard(backend(), c),
                    fmt::format("registered chunking ({} keys per chunk)", registered->chunk_tokens));
    const int64_t lk = c.shape.lk;
    for (int64_t chunks : {int64_t{1}, int64_t{2}, int64_t{3}, *rc::gen::inRange<int64_t>(4, std::max<int64_t>(5, lk + 1))}) {
      SplitKvConfig split = *registered;
      split.chunk_tokens = (lk + chunks - 1) / chunks;
      require_verdict(subject(), c, oracle, run_config(split, c),
                      fmt::format("{} keys per chunk ({} chunks)", split.chunk_tokens,
                                  (lk + split.chunk_tokens - 1) / split.chunk_tokens));
    }
  });
}

// ---- (f) paged K/V equal contiguous K/V bit for bit ---------------------------------

class PagedLayout : public SubjectProperty {};

// The same kernel (same chunking) reading K/V contiguously, through the registered page
// table, and through a table with another page order: the values and the order in which
// they are combined are the same, so the results are identical bit for bit.
TEST_P(PagedLayout, holds) {
  const std::optional<SplitKvConfig> registered = splitkv_config(GetParam());
  if (!registered) GTEST_SKIP() << GetParam() << " is not a cpu-splitkv kernel: its paging cannot be chosen";
  check([this, registered] {
    const AttentionCase c = generate(draw_recipe(subject(), CaseSpace{}));
    SplitKvConfig contiguous = *registered;
    contiguous.paged = false;
    const RunOutput reference = run_config(contiguous, c);
    SplitKvConfig paged = *registered;
    paged.paged = true;
    for (uint64_t seed : {uint64_t{0}, *rc::gen::inRange<uint64_t>(1, uint64_t{1} << 32)}) {
      paged.page_order_seed = seed;
      const std::string diff = first_bit_difference(run_config(paged, c), reference);
      if (!diff.empty())
        fail_with_case(subject(), c, fmt::format("paged (page order seed {}) vs contiguous: {}", seed, diff));
    }
  });
}

// The page order seed must really move the pages, or the property above compares one
// table with itself.
TEST(PagedKvCache, PageOrderSeedChoosesAnotherBlockTable) {
  const Tensor k = Tensor::make(DType::f16, {2, 1, 100, 8});
  const Tensor v = Tensor::make(DType::f16, {2, 1, 100, 8});
  const splitkv::PagedKvCache registered(k, v), same(k, v, 0), other(k, v, 7);
  EXPECT_EQ(registered.block_table(), same.block_table());
  EXPECT_NE(registered.block_table(), other.block_table());
  std::vector<int32_t> sorted = other.block_table();
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "every logical page has its own page";
}

INSTANTIATE_TEST_SUITE_P(Metamorphic, SplitKvMerge, ::testing::ValuesIn(registered_subjects()), subject_test_name);
INSTANTIATE_TEST_SUITE_P(Metamorphic, PagedLayout, ::testing::ValuesIn(registered_subjects()), subject_test_name);

}  // namespace
}  // namespace flashcheck::metamorphic
