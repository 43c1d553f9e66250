#include "impls/models/hexagon_hmx/hexagon_hmx.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "impls/models/common/half_bits.hpp"
#include "impls/models/common/mutant_table.hpp"
#include "impls/models/common/parallel_rows.hpp"
#include "impls/models/common/storage_io.hpp"
#include "impls/models/hexagon_hmx/hmx_flash_attention.hpp"

namespace flashcheck::models {
namespace {

enum class HmxMutant { none, fp16_softmax_stats };

const std::array<MutantRow<HmxMutant>, 1> kMutants{{
    {HmxMutant::fp16_softmax_stats,
     {"fp16-softmax-stats", "000", "drift",
      "the online-softmax statistics m, l and p_rowsum are stored in fp16 and re-quantized after every KV block "
      "(the kernel before the seed's fix), so the error of l grows with Lk"}},
}};

constexpr int64_t kMaxHeadDim = 256;

std::vector<float> load_panel(const Tensor& t, int64_t b, int64_t g) {
  const int64_t rows = t.shape[2], cols = t.shape[3];
  std::vector<float> panel(static_cast<size_t>(rows * cols));
  for (int64_t j = 0; j < rows; ++j) load_row(t, b, g, j, panel.data() + j * cols);
  return panel;
}

class HexagonHmxModel final : public Backend {
 public:
  explicit HexagonHmxModel(const std::string& mutant)
      : mutant_name_(mutant), mutant_(find_mutant<HmxMutant>(kMutants, kHexagonHmxName, mutant, HmxMutant::none)) {}

  std::string name() const override { return backend_spec(kHexagonHmxName, mutant_name_); }

  std::string description() const override {
    return "ggml-hexagon HMX flash attention (seed 000, with its fp32-statistics fix): fp16 Q/K/V operands (an f32 "
           "Q is rounded to fp16 first, as the op converts it), fp32 accumulation of QK^T in 32-wide HMX tiles, "
           "online softmax over 128-key blocks with m / l / p_rowsum in fp32, P rounded to fp16 for the PV matmul. "
           "The Q and P roundings exceed an fp32 contract. One f16 mask; values <= -16 hide a key (score -65504), "
           "so a fully masked row averages V. Not modelled: the kernel's fp16 S and O tiles, qf16 arithmetic, its "
           "exp. No LSE output.";
  }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.contract = "fp16-operands-sentinel-mask";
    caps.contract_note = "fp16 Q/K/V and P operands of the HMX matrix units; mask values <= -16 score -65504";
    caps.q_types = {DType::f32, DType::f16};
    caps.kv_types = {DType::f16};
    caps.o_types = {DType::f32, DType::f16};
    caps.causal = true;  // all masks reach the kernel as one materialized f16 mask, as ggml passes it
    caps.window = true;
    caps.explicit_mask = true;
    caps.alibi = false;
    caps.softcap = false;
    caps.sinks = false;
    caps.gqa = true;
    caps.strided = true;
    caps.dk_ne_dv = true;
    caps.lse = false;
    caps.max_head_dim = kMaxHeadDim;
    return caps;
  }

  std::vector<MutantInfo> mutants() const override { return mutant_infos<HmxMutant>(kMutants); }

  bool set_threads(int threads) override {
    threads_ = std::max(threads, 0);
    return true;
  }

  RunResult run(const AttentionCase& c) override {
    const auto& s = c.shape;
    if (s.dk % hmx::kTileDim != 0 || s.dv % hmx::kTileDim != 0)
      return RunResult::unsupported("HMX tiles are 32 wide: Dk and Dv must be multiples of 32");

    std::vector<float> mask = c.materialized_mask();
    for (float& m : mask) m = round_to_f16(m);  // ggml's flash_attn_ext mask is f16
    const hmx::StatsFormat stats =
        mutant_ == HmxMutant::fp16_softmax_stats ? hmx::StatsFormat::fp16 : hmx::StatsFormat::fp32;

    RunResult result;
    result.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
    Tensor& o = result.output.o;

    struct Worker {
      std::vector<float> q, o;
      hmx::HmxScratch scratch;
    };
    const int64_t ratio = s.gqa_ratio();
    std::vector<Worker> workers(static_cast<size_t>(worker_count(ratio * s.lq, threads_)),
                                Worker{std::vector<float>(static_cast<size_t>(s.dk)),
                                       std::vector<float>(static_cast<size_t>(s.dv)), hmx::HmxScratch(s.dv)});
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t g = 0; g < s.hkv; ++g) {
        const std::vector<float> k = load_panel(c.k, b, g), v = load_panel(c.v, b, g);
        const hmx::HmxInputs in{s.lk, s.dk, s.dv, c.scale, k.data(), v.data(), mask.data()};
        parallel_rows(ratio * s.lq, threads_, [&](int64_t r, int64_t worker) {
          Worker& w = workers[static_cast<size_t>(worker)];
          const int64_t h = g * ratio + r / s.lq, i = r % s.lq;
          load_row(c.q, b, h, i, w.q.data());
          for (float& x : w.q) x = round_to_f16(x);  // the op converts an f32 Q to fp16 tiles; exact for f16
          hmx::attention_row(in, stats, w.q.data(), i, w.scratch, w.o.data());
          for (int64_t x = 0; x < s.dv; ++x) store_element(o, o.offset(b, h, i, x), w.o[static_cast<size_t>(x)]);
        });
      }
    return result;
  }

 private:
  std::string mutant_name_;
  HmxMutant mutant_;
  int threads_ = 0;  // workers over rows, 0: the hardware concurrency
};

}  // namespace

std::unique_ptr<Backend> make_hexagon_hmx_backend(const std::string& mutant) {
  return std::make_unique<HexagonHmxModel>(mutant);
}

}  // namespace flashcheck::models
