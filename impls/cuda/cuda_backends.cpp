#include "impls/cuda/cuda_backends.hpp"

#include <algorithm>
#include <stdexcept>

#include "impls/cuda/problem_from_case.hpp"
#include "impls/cuda/split_plan.hpp"

namespace flashcheck::cuda {
namespace {

const MutantInfo kMaxLane0{
    "max-lane0", "002", "wrong-result",
    "the warp max-reduction returns lane 0's score instead of the warp maximum, so weights exceed 1 and overflow "
    "to inf where lane 0's key is masked or far below the row maximum"};

const MutantInfo kMergeNoRescale{
    "merge-no-rescale", "002", "wrong-result",
    "the split merge adds the chunks' partial accumulators and row sums without rescaling each by exp(m_i - M) "
    "to the common maximum"};

// Which switch each mutant name turns on.
struct MutantSwitch {
  const char* name;
  bool KernelSwitches::*flag;
};
constexpr MutantSwitch kMutantSwitches[] = {
    {"max-lane0", &KernelSwitches::max_lane0},
    {"merge-no-rescale", &KernelSwitches::merge_no_rescale},
};

const CudaSubject& subject_of(KernelVariant variant) {
  for (const CudaSubject& s : cuda_subjects())
    if (s.variant == variant) return s;
  throw std::invalid_argument("unknown CUDA kernel variant");
}

KernelSwitches switches_for(const CudaSubject& subject, const std::string& mutant) {
  KernelSwitches switches;
  if (mutant.empty()) return switches;
  const bool listed = std::any_of(subject.mutants.begin(), subject.mutants.end(),
                                  [&](const MutantInfo& m) { return m.name == mutant; });
  const auto sw = std::find_if(std::begin(kMutantSwitches), std::end(kMutantSwitches),
                               [&](const MutantSwitch& m) { return mutant == m.name; });
  if (!listed || sw == std::end(kMutantSwitches))
    throw std::invalid_argument(std::string(subject.name) + " has no mutant '" + mutant + "'");
  switches.*(sw->flag) = true;
  return switches;
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(const CudaSubject& subject, std::string mutant, int requested_splits)
      : subject_(subject), mutant_(std::move(mutant)), switches_(switches_for(subject, mutant_)),
        requested_splits_(requested_splits) {
    if (requested_splits < 0 || (requested_splits > 0 && subject.variant != KernelVariant::splitkv))
      throw std::invalid_argument(std::string(subject.name) + " takes no split count");
  }

  std::string name() const override { return backend_spec(subject_.name, mutant_); }
  std::string description() const override { return subject_.description; }
  std::vector<MutantInfo> mutants() const override { return subject_.mutants; }

  Capabilities capabilities() const override {
    Capabilities caps;  // every mask, bias and layout feature is on by default
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    caps.max_head_dim = kMaxHeadDim;
    caps.lse = true;
    if (subject_.variant == KernelVariant::fp16acc) {
      caps.contract = "fp16-accumulation";
      caps.contract_note = "fp16 softmax statistics and accumulator";
    }
    return caps;
  }

  bool available(std::string* why_not) const override {
    const auto reason = device_unavailable_reason();
    if (reason && why_not) *why_not = *reason;
    return !reason;
  }

  RunResult run(const AttentionCase& c) override {
    if (const auto reason = device_unavailable_reason()) throw std::runtime_error(*reason);
    const CaseShape& s = c.shape;
    RunResult result;
    result.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
    result.output.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
    const DeviceProblem problem = describe_for_device(c, result.output);
    const SplitPlan plan =
        subject_.variant == KernelVariant::splitkv ? plan_splits(s.lk, requested_splits_) : SplitPlan{};
    run_on_device(problem, subject_.variant, plan, switches_);
    return result;
  }

 private:
  const CudaSubject& subject_;
  std::string mutant_;
  KernelSwitches switches_;
  int requested_splits_;
};

}  // namespace

const std::vector<CudaSubject>& cuda_subjects() {
  static const std::vector<CudaSubject> subjects{
      {KernelVariant::fp32, kCudaFp32Name,
       "CUDA flash-attention kernel: a block per (batch, head, 16-query tile), K/V tiles staged in shared memory, "
       "warp-shuffle reductions, online softmax with fp32 scores, statistics and accumulator",
       {kMaxLane0}},
      {KernelVariant::fp16acc, kCudaFp16AccName,
       "the cuda-fp32 kernel with the running max, row sum and PV accumulator held in half precision (scores in "
       "fp32), as speed-oriented kernels do; it is not an fp32-accumulation kernel and is not expected to meet the "
       "fp32 budget",
       {}},
      {KernelVariant::splitkv, kCudaSplitKvName,
       "CUDA flash-decoding: the fp32 tile kernel over key chunks writes partial (max, sum, accumulator) per chunk, "
       "then a merge kernel rescales every chunk to the common maximum",
       {kMergeNoRescale}},
  };
  return subjects;
}

std::unique_ptr<Backend> make_cuda_backend(KernelVariant variant, const std::string& mutant, int requested_splits) {
  return std::make_unique<CudaBackend>(subject_of(variant), mutant, requested_splits);
}

}  // namespace flashcheck::cuda
