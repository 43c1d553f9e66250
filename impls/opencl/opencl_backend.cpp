#include "impls/opencl/opencl_backend.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "impls/opencl/cl_runtime.hpp"

namespace flashcheck::opencl {
namespace {

class OpenClBackend final : public Backend {
 public:
  OpenClBackend(const FlagSet& flags, const OpenClMutant* mutant, OpenClTuning tuning)
      : flags_(flags), mutant_(mutant), launcher_(flags, mutant, tuning) {}

  std::string name() const override {
    return backend_spec(std::string(flags_.backend_name), mutant_ ? mutant_->info.name : "");
  }

  std::string description() const override {
    return fmt::format("OpenCL flash attention (prefill tiles with mask prepass, decode K-split), {}",
                       flags_.description);
  }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    caps.max_head_dim = kMaxHeadDim;
    caps.kv_schemes = {"ggml_q8_0", "ggml_q4_0"};
    caps.kv_layouts = {KvRowLayout::aos};
    return caps;
  }

  bool available(std::string* why_not) const override {
    const ClRuntime& rt = ClRuntime::instance();
    if (!rt.ready() && why_not) *why_not = rt.unavailable_reason();
    return rt.ready();
  }

  RunResult run(const AttentionCase& c) override {
    const ClRuntime& rt = ClRuntime::instance();
    if (!rt.ready()) return RunResult::unsupported("OpenCL is not available: " + rt.unavailable_reason());
    const size_t local = local_mem_needed(c.shape.dk, c.shape.dv);
    if (local > rt.local_mem_bytes())
      return RunResult::unsupported(fmt::format("Dk = {}, Dv = {} need {} bytes of local memory; {} has {}",
                                                c.shape.dk, c.shape.dv, local, rt.device_description(),
                                                rt.local_mem_bytes()));
    RunResult r;
    r.output = launcher_.run(c);
    return r;
  }

  std::vector<MutantInfo> mutants() const override {
    std::vector<MutantInfo> out;
    for (const OpenClMutant& m : opencl_mutants()) out.push_back(m.info);
    return out;
  }

 private:
  const FlagSet& flags_;
  const OpenClMutant* mutant_;
  FlashAttentionLauncher launcher_;
};

}  // namespace

std::unique_ptr<Backend> make_opencl_backend(std::string_view backend_name, const std::string& mutant,
                                             OpenClTuning tuning) {
  const FlagSet* flags = find_flag_set(backend_name);
  if (!flags) throw std::invalid_argument(fmt::format("no OpenCL flag set named '{}'", backend_name));
  const OpenClMutant* m = nullptr;
  if (!mutant.empty()) {
    m = find_opencl_mutant(mutant);
    if (!m) throw std::invalid_argument(fmt::format("the OpenCL subject has no mutant '{}'", mutant));
  }
  return std::make_unique<OpenClBackend>(*flags, m, tuning);
}

}  // namespace flashcheck::opencl
