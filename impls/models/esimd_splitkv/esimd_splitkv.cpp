// The host launcher: write K/V into a paged cache, pack Q into the varlen layout, run every
// sub-kernel work-group (all partitions in parallel), then the reduce kernel.
#include "impls/models/esimd_splitkv/esimd_splitkv.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "impls/models/common/mutant_table.hpp"
#include "impls/models/common/parallel_rows.hpp"
#include "impls/models/common/storage_io.hpp"
#include "impls/models/esimd_splitkv/paged_kv_cache.hpp"
#include "impls/models/esimd_splitkv/splitkv_kernels.hpp"

namespace flashcheck::models {
namespace {

enum class EsimdMutant { none, missing_exp_clamp, max_lane0 };

const std::array<MutantRow<EsimdMutant>, 2> kMutants{{
    {EsimdMutant::missing_exp_clamp,
     {"missing-exp-clamp", "002", "nan-from-inf",
      "safe_exp16's clamp/merge and the clamp of the correction exps are removed, so the hardware exp sees the "
      "-1e30 masked-score and initial-max differences and returns NaN (the failure the seed's fix avoids)"}},
    {EsimdMutant::max_lane0,
     {"max-lane0", "002", "wrong-result",
      "the SIMD16 max reduction of each kBc block returns lane 0 instead of the maximum (the JIT "
      "reduce<float>(simd, maximum<>()) bug the seed reports), so exp(s - max) can exceed 1 and overflow"}},
}};

// The seed's kernel loads Q, K and V in 16-lane pieces (HEAD_DIM = 256 there).
constexpr int64_t kMaxHeadDim = 256;
constexpr int64_t kPartitionTokens = 128;  // PARTITION_SIZE: the seed does not state it
constexpr uint64_t kPageShuffleSeed = 0x5eed002;

// Q in the varlen layout the kernel reads: [batch * lq][hq][dk].
std::vector<float> pack_queries(const AttentionCase& c) {
  const auto& s = c.shape;
  std::vector<float> packed(static_cast<size_t>(s.batch * s.lq * s.hq * s.dk));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.hq; ++h)
      for (int64_t i = 0; i < s.lq; ++i) load_row(c.q, b, h, i, packed.data() + ((b * s.lq + i) * s.hq + h) * s.dk);
  return packed;
}

class EsimdSplitKvModel final : public Backend {
 public:
  explicit EsimdSplitKvModel(const std::string& mutant)
      : mutant_name_(mutant),
        mutant_(find_mutant<EsimdMutant>(kMutants, kEsimdSplitKvName, mutant, EsimdMutant::none)) {}

  std::string name() const override { return backend_spec(kEsimdSplitKvName, mutant_name_); }

  std::string description() const override {
    return "ESIMD split-KV prefill attention (seed 002): paged KV cache (16-token pages in shuffled order, block "
           "table), GQA, causal; work-groups of kBr=4 query rows x 128-key partitions stepping kBc=16 keys with "
           "SIMD16 dot products, masked lanes at -1e30, safe_exp16 (exp, 0 below -80) and clamped correction exps; "
           "each partition writes its normalised output, row max and sum (fp32), a reduce kernel merges them by "
           "log-sum-exp. No LSE output; head dims multiples of 16 up to 256.";
  }

  Capabilities capabilities() const override {
    Capabilities caps;
    // The seed's kernel is fp16-only; wider Q/K/V and an f32 output are the same code with
    // another load/store conversion.
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    caps.causal = true;
    caps.window = false;
    caps.explicit_mask = false;
    caps.alibi = false;
    caps.softcap = false;
    caps.sinks = false;
    caps.gqa = true;
    caps.strided = true;  // the launcher packs Q and writes the paged cache
    caps.dk_ne_dv = false;
    caps.lse = false;
    caps.contract = "fp32-sentinel-mask";
    caps.contract_note =
        "masked keys score a finite -1e30 sentinel: fully masked rows average V, masked V rows get weight 0";
    caps.max_head_dim = kMaxHeadDim;
    return caps;
  }

  std::vector<MutantInfo> mutants() const override { return mutant_infos<EsimdMutant>(kMutants); }

  bool set_threads(int threads) override {
    threads_ = std::max(threads, 0);
    return true;
  }

  RunResult run(const AttentionCase& c) override {
    const auto& s = c.shape;
    if (s.dk % esimd::kLanes != 0)
      return RunResult::unsupported("the kernel loads head dims in 16-lane pieces: Dk must be a multiple of 16");

    const esimd::PagedKvCache k_cache(c.k, esimd::kBc, kPageShuffleSeed);
    const esimd::PagedKvCache v_cache(c.v, esimd::kBc, kPageShuffleSeed + 1);
    const std::vector<float> queries = pack_queries(c);

    esimd::SplitKvArgs args;
    args.batch = s.batch;
    args.hq = s.hq;
    args.hkv = s.hkv;
    args.lq = s.lq;
    args.lk = s.lk;
    args.dk = s.dk;
    args.dv = s.dv;
    args.sm_scale = c.scale;
    args.causal = c.mask_kind == MaskKind::causal;
    args.partition_tokens = kPartitionTokens;
    args.queries = &queries;
    args.k = &k_cache;
    args.v = &v_cache;
    args.switches.max_from_lane0 = mutant_ == EsimdMutant::max_lane0;
    args.switches.exp_unclamped = mutant_ == EsimdMutant::missing_exp_clamp;

    esimd::Partials partials(args);
    const int64_t groups = esimd::sub_kernel_groups(args);
    std::vector<esimd::SubKernelScratch> scratch(static_cast<size_t>(worker_count(groups, threads_)),
                                                 esimd::SubKernelScratch(args));
    parallel_rows(groups, threads_, [&](int64_t wg, int64_t worker) {
      esimd::run_sub_kernel(args, wg, scratch[static_cast<size_t>(worker)], partials);
    });

    // The reduce kernel writes O in the varlen layout [token][head][dim], as the seed's output.
    RunResult result;
    result.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv}, Layout::seq_major);
    Tensor& o = result.output.o;
    const int64_t rows = s.batch * s.hq * s.lq;
    std::vector<std::vector<float>> o_rows(static_cast<size_t>(worker_count(rows, threads_)),
                                           std::vector<float>(static_cast<size_t>(s.dv)));
    parallel_rows(rows, threads_, [&](int64_t row, int64_t worker) {
      std::vector<float>& o_row = o_rows[static_cast<size_t>(worker)];
      esimd::run_reduce(args, partials, row, o_row.data());
      const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
      for (int64_t d = 0; d < s.dv; ++d) store_element(o, o.offset(b, h, i, d), o_row[static_cast<size_t>(d)]);
    });
    return result;
  }

 private:
  std::string mutant_name_;
  EsimdMutant mutant_;
  int threads_ = 0;  // workers over rows, 0: the hardware concurrency
};

}  // namespace

std::unique_ptr<Backend> make_esimd_splitkv_backend(const std::string& mutant) {
  return std::make_unique<EsimdSplitKvModel>(mutant);
}

}  // namespace flashcheck::models
