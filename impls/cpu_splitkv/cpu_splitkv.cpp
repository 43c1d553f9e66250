#include "impls/cpu_splitkv/cpu_splitkv.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <stdexcept>
#include <thread>

#include "impls/cpu_splitkv/kv_rows.hpp"
#include "impls/cpu_splitkv/paged_kv_cache.hpp"
#include "impls/cpu_splitkv/parallel_for.hpp"
#include "impls/cpu_splitkv/row_attention.hpp"
#include "impls/cpu_splitkv/split_merge.hpp"
#include "impls/cpu_splitkv/storage_codec.hpp"

namespace flashcheck {
namespace {

using namespace splitkv;

// The split workspace is bounded: rows are processed in launches of at most this many floats of partials.
constexpr int64_t kWorkspaceFloats = int64_t{1} << 22;

struct KernelBugs {
  MergeBugs merge;
  int64_t page_table_shift = 0;
};

struct MutantRow {
  MutantInfo info;
  bool needs_split;  // the bug lives in the merge pass
  bool needs_paged;  // the bug lives in the block-table lookup
  KernelBugs bugs;
};

const MutantRow kMutants[] = {
    {{"merge-no-rescale", "002", "wrong-result",
      "the merge weights each chunk's partial O by its l_i without exp(m_i - m), as if every chunk had the same max"},
     true, false, {.merge = {.skip_rescale = true}}},
    {{"merge-no-empty-guard", "002", "nan-from-inf",
      "the merge lets all-masked chunks (m_i = -inf) in unguarded, so a row with no finite max computes "
      "exp(-inf - -inf) = NaN"},
     true, false, {.merge = {.no_empty_guard = true}}},
    {{"paged-table-off-by-one", "002", "wrong-result",
      "logical page p is read from block_table[p + 1] (clamped to the table), so tokens come from the next page"},
     false, true, {.merge = {}, .page_table_shift = 1}},
};

bool applies(const MutantRow& m, const SplitKvConfig& config) {
  return (!m.needs_split || config.chunk_tokens > 0) && (!m.needs_paged || config.paged);
}

void store_row(Tensor& o, const QueryRow& r, const float* values) {
  const auto element_size = static_cast<int64_t>(traits(o.dtype).size);
  for (int64_t col = 0; col < o.shape[3]; ++col)
    store_element(o.dtype, values[col], o.data() + o.offset(r.batch, r.head, r.index, col) * element_size);
}

class CpuSplitKvBackend final : public Backend {
 public:
  CpuSplitKvBackend(SplitKvConfig config, std::string mutant, KernelBugs bugs)
      : config_(std::move(config)), mutant_(std::move(mutant)), bugs_(bugs) {}

  std::string name() const override { return backend_spec(config_.name, mutant_); }

  std::string description() const override {
    const std::string reads = config_.paged ? "K/V read through a shuffled 16-token page table" : "strided K/V";
    if (config_.chunk_tokens == 0) return "single-pass fp32 online softmax, " + reads;
    return fmt::format("split-KV (flash-decoding) fp32 online softmax, {}-key chunks merged by max/LSE, {}",
                       config_.chunk_tokens, reads);
  }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    caps.lse = true;
    return caps;
  }

  std::vector<MutantInfo> mutants() const override {
    std::vector<MutantInfo> out;
    for (const MutantRow& m : kMutants)
      if (applies(m, config_)) out.push_back(m.info);
    return out;
  }

  bool set_threads(int threads) override {
    config_.threads = std::max(threads, 0);
    return true;
  }

  RunResult run(const AttentionCase& c) override {
    const auto& s = c.shape;
    std::optional<PagedKvCache> cache;
    std::unique_ptr<KvRows> k_rows, v_rows;
    if (config_.paged) {
      cache.emplace(c.k, c.v, config_.page_order_seed);
      k_rows = std::make_unique<PagedRows>(cache->key_rows(bugs_.page_table_shift));
      v_rows = std::make_unique<PagedRows>(cache->value_rows(bugs_.page_table_shift));
    } else {
      k_rows = std::make_unique<StridedRows>(c.k);
      v_rows = std::make_unique<StridedRows>(c.v);
    }
    const RowAttention attention(c, *k_rows, *v_rows);

    RunResult result;
    result.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
    result.output.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
    // Scratch is allocated here so worker threads never allocate (and never throw).
    const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
    std::vector<Scratch> scratch(static_cast<size_t>(config_.threads > 0 ? config_.threads : hardware), Scratch(s));
    if (config_.chunk_tokens == 0)
      run_single_pass(c, attention, scratch, result.output);
    else
      run_split(c, attention, scratch, result.output);
    return result;
  }

 private:
  static void run_single_pass(const AttentionCase& c, const RowAttention& attention, std::vector<Scratch>& scratch,
                              RunOutput& out) {
    const auto& s = c.shape;
    parallel_for(s.batch * s.hq * s.lq, scratch, [&](int64_t row, Scratch& w) {
      const QueryRow r = attention.query_row(row);
      attention.load_query(r, w);
      SoftmaxState state = empty_softmax_state();
      std::fill(w.acc.begin(), w.acc.end(), 0.0f);
      attention.accumulate(r, {0, s.lk}, w, state);
      attention.fold_sink(r, w, state);
      out.lse[static_cast<size_t>(row)] = finish_row(state, w.acc, w.acc.data());
      store_row(out.o, r, w.acc.data());
    });
  }

  void run_split(const AttentionCase& c, const RowAttention& attention, std::vector<Scratch>& scratch,
                 RunOutput& out) const {
    const auto& s = c.shape;
    const int64_t chunk = config_.chunk_tokens;
    const int64_t chunks = (s.lk + chunk - 1) / chunk;
    const int64_t record = partial_record_floats(s.dv);
    const int64_t rows = s.batch * s.hq * s.lq;
    const int64_t rows_per_launch = std::clamp<int64_t>(kWorkspaceFloats / (chunks * record), 1, rows);
    std::vector<float> partials(static_cast<size_t>(rows_per_launch * chunks * record));

    for (int64_t first = 0; first < rows; first += rows_per_launch) {
      const int64_t count = std::min(rows_per_launch, rows - first);
      // Split pass: one item per (row, chunk), as one thread block per split on a GPU.
      parallel_for(count * chunks, scratch, [&](int64_t item, Scratch& w) {
        const QueryRow r = attention.query_row(first + item / chunks);
        const int64_t begin = (item % chunks) * chunk;
        attention.load_query(r, w);
        SoftmaxState state = empty_softmax_state();
        std::fill(w.acc.begin(), w.acc.end(), 0.0f);
        attention.accumulate(r, {begin, std::min(begin + chunk, s.lk)}, w, state);
        write_partial(state, w.acc, partials.data() + item * record);
      });
      // Merge pass: one item per row.
      parallel_for(count, scratch, [&](int64_t item, Scratch& w) {
        const int64_t row = first + item;
        const QueryRow r = attention.query_row(row);
        const float* sink = c.has_sinks() ? &c.sinks[static_cast<size_t>(r.head)] : nullptr;
        out.lse[static_cast<size_t>(row)] =
            merge_partials(partials.data() + item * chunks * record, chunks, s.dv, sink, bugs_.merge, w.acc.data());
        store_row(out.o, r, w.acc.data());
      });
    }
  }

  SplitKvConfig config_;
  std::string mutant_;
  KernelBugs bugs_;
};

}  // namespace

std::vector<SplitKvConfig> registered_splitkv_configs() {
  return {
      {.name = kCpuSplitKvName, .chunk_tokens = 64, .paged = false},
      {.name = kCpuSplitKvC16Name, .chunk_tokens = 16, .paged = false},
      {.name = kCpuPagedName, .chunk_tokens = 0, .paged = true},
      {.name = kCpuPagedSplitKvName, .chunk_tokens = 64, .paged = true},
  };
}

std::unique_ptr<Backend> make_cpu_splitkv_backend(const SplitKvConfig& config, const std::string& mutant) {
  if (config.chunk_tokens < 0)
    throw std::invalid_argument(fmt::format("{}: chunk size must be >= 0 (got {})", config.name, config.chunk_tokens));
  if (mutant.empty()) return std::make_unique<CpuSplitKvBackend>(config, "", KernelBugs{});
  std::string known;
  for (const MutantRow& m : kMutants) {
    if (!applies(m, config)) continue;
    if (m.info.name == mutant) return std::make_unique<CpuSplitKvBackend>(config, mutant, m.bugs);
    known += (known.empty() ? "" : ", ") + m.info.name;
  }
  throw std::invalid_argument(fmt::format("backend '{}' has no mutant '{}' (mutants: {})", config.name, mutant,
                                          known.empty() ? "none" : known));
}

}  // namespace flashcheck
