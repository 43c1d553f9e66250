#include "impls/models/metal_steel/metal_steel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "impls/models/common/mutant_table.hpp"
#include "impls/models/common/parallel_rows.hpp"
#include "impls/models/common/storage_io.hpp"
#include "impls/models/metal_steel/steel_attention.hpp"

namespace flashcheck::models {
namespace {

enum class SteelMutant { none, lse_log2 };

const std::array<MutantRow<SteelMutant>, 1> kMutants{{
    {SteelMutant::lse_log2,
     {"lse-log2", "003", "lse-base",
      "the logsumexp is written as max_score + log2(sum_score), left in the kernel's log2 domain instead of "
      "max_score * ln2 + log(sum_score)"}},
}};

// The head dims MLX instantiates the full-attention kernel for (has_fused_kernel()).
constexpr std::array<int64_t, 7> kHeadDims{64, 72, 80, 96, 128, 192, 256};

// MLX promotes Q, K and V to one type before the kernel; the kernel is float exactly
// when that type is float32 (bfloat16 with float16 promotes to float32, as in MLX).
bool runs_float_kernel(const AttentionCase& c) {
  const DType types[] = {c.q_type, c.k_type, c.v_type};
  bool all_f16 = true, all_bf16 = true;
  for (DType t : types) {
    all_f16 = all_f16 && t == DType::f16;
    all_bf16 = all_bf16 && t == DType::bf16;
  }
  return !all_f16 && !all_bf16;
}

// The caller's array mask in float: the case's explicit mask, with a window or a causal
// mask that comes with an explicit one folded in (MLX takes "causal" or an array, not both).
std::vector<float> array_mask(const AttentionCase& c) {
  const auto& s = c.shape;
  std::vector<float> m(static_cast<size_t>(s.lq * s.lk), 0.0f);
  for (int64_t i = 0; i < s.lq; ++i)
    for (int64_t j = 0; j < s.lk; ++j) {
      float value = c.mask ? load_element(*c.mask, c.mask->offset(0, 0, i, j)) : 0.0f;
      if (!c.structurally_visible(i, j)) value = -std::numeric_limits<float>::infinity();
      m[static_cast<size_t>(i * s.lk + j)] = value;
    }
  return m;
}

// Widens the rows [b][g][*][*] of a K or V tensor into a dense float panel.
std::vector<float> load_panel(const Tensor& t, int64_t b, int64_t g) {
  const int64_t rows = t.shape[2], cols = t.shape[3];
  std::vector<float> panel(static_cast<size_t>(rows * cols));
  for (int64_t j = 0; j < rows; ++j) load_row(t, b, g, j, panel.data() + j * cols);
  return panel;
}

class MetalSteelModel final : public Backend {
 public:
  explicit MetalSteelModel(const std::string& mutant)
      : mutant_name_(mutant), mutant_(find_mutant<SteelMutant>(kMutants, kMetalSteelName, mutant, SteelMutant::none)) {}

  std::string name() const override { return backend_spec(kMetalSteelName, mutant_name_); }

  std::string description() const override {
    return "MLX steel_attention (fused SDPA, float kernel) with its logsumexp output: Q pre-scaled by "
           "scale*log2(e), BQ=32 x BK=32 (16 from head dim 128) tiles, exp2 online softmax with float max/sum, "
           "LSE = max*ln2 + log(sum). Masked lanes hold -FLT_MAX (causal, key tail) or the additive mask in log2 "
           "units. Fully masked rows follow the kernel, not the default contract: O = 0/0 = NaN and LSE = -inf "
           "(O = 0, LSE ~ -2.4e38 when the zero-filled key tail enters). Non-finite K/V at masked keys leak, as the "
           "tile matmuls multiply them. All-f16 / all-bf16 inputs run MLX's half kernel, which is not modelled.";
  }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};  // float O, then the caller's astype
    caps.causal = true;
    caps.window = true;  // as the array mask a caller builds for it
    caps.explicit_mask = true;
    caps.alibi = false;
    caps.softcap = false;
    caps.sinks = true;
    caps.gqa = true;
    caps.strided = true;  // K/V/Q strides go to the kernel; the head dim is contiguous in every layout
    caps.dk_ne_dv = false;
    caps.lse = true;
    caps.max_head_dim = 256;
    caps.contract = "fp32-sentinel-mask";
    caps.contract_note =
        "fully masked rows give O = NaN (0/0), or O = 0 and LSE = -FLT_MAX ln 2 when the key tail tile enters; "
        "tile matmuls read masked K/V";
    return caps;
  }

  std::vector<MutantInfo> mutants() const override { return mutant_infos<SteelMutant>(kMutants); }

  bool set_threads(int threads) override {
    threads_ = std::max(threads, 0);
    return true;
  }

  RunResult run(const AttentionCase& c) override {
    const auto& s = c.shape;
    if (!runs_float_kernel(c))
      return RunResult::unsupported("all-f16 / all-bf16 Q, K, V run MLX's half kernel (Q * scale rounded to the "
                                    "input type), which this model does not emulate");
    if (std::find(kHeadDims.begin(), kHeadDims.end(), s.dk) == kHeadDims.end())
      return RunResult::unsupported("MLX's full-attention kernel exists for head dims 64, 72, 80, 96, 128, 192, 256");
    const bool explicit_causal = c.mask_kind == MaskKind::causal && !c.mask;
    if (explicit_causal && s.lq > s.lk)
      return RunResult::unsupported("MLX's causal mode needs Lq <= Lk (it falls back to unfused SDPA otherwise)");

    steel::SteelLaunch launch;
    launch.bk = s.dk < 128 ? 32 : 16;
    launch.do_causal = explicit_causal;
    launch.has_mask = !explicit_causal && (c.mask.has_value() || c.mask_kind != MaskKind::none);
    launch.has_sinks = c.has_sinks();
    launch.lse_in_log2 = mutant_ == SteelMutant::lse_log2;
    const std::vector<float> mask = launch.has_mask ? array_mask(c) : std::vector<float>{};

    RunResult result;
    result.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
    result.output.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
    RunOutput& out = result.output;

    // Per-worker registers: the query row, the output row and the kernel's scratch.
    struct Worker {
      std::vector<float> q, o;
      steel::SteelScratch scratch;
    };
    const int64_t ratio = s.gqa_ratio();
    std::vector<Worker> workers(static_cast<size_t>(worker_count(ratio * s.lq, threads_)),
                                Worker{std::vector<float>(static_cast<size_t>(s.dk)),
                                       std::vector<float>(static_cast<size_t>(s.dv)),
                                       steel::SteelScratch(s.dk, launch.bk)});
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t g = 0; g < s.hkv; ++g) {
        const std::vector<float> k = load_panel(c.k, b, g), v = load_panel(c.v, b, g);
        const steel::SteelInputs in{s.lq, s.lk, s.dk, c.scale, k.data(), v.data(), launch.has_mask ? mask.data() : nullptr};
        parallel_rows(ratio * s.lq, threads_, [&](int64_t r, int64_t worker) {
          Worker& w = workers[static_cast<size_t>(worker)];
          const int64_t h = g * ratio + r / s.lq, i = r % s.lq;
          load_row(c.q, b, h, i, w.q.data());
          const float sink = c.has_sinks() ? c.sinks[static_cast<size_t>(h)] : 0.0f;
          const auto row = static_cast<size_t>((b * s.hq + h) * s.lq + i);
          steel::attention_row(launch, in, w.q.data(), sink, i, w.scratch, w.o.data(), &out.lse[row]);
          for (int64_t x = 0; x < s.dv; ++x) store_element(out.o, out.o.offset(b, h, i, x), w.o[static_cast<size_t>(x)]);
        });
      }
    return result;
  }

 private:
  std::string mutant_name_;
  SteelMutant mutant_;
  int threads_ = 0;  // workers over rows, 0: the hardware concurrency
};

}  // namespace

std::unique_ptr<Backend> make_metal_steel_backend(const std::string& mutant) {
  return std::make_unique<MetalSteelModel>(mutant);
}

}  // namespace flashcheck::models
