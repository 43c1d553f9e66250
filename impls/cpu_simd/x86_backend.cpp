#include "impls/cpu_simd/x86_backend.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "impls/cpu_simd/cpu_features.hpp"
#include "impls/cpu_simd/kernel_view.hpp"
#include "impls/cpu_simd/simd_mutants.hpp"
#include "impls/cpu_simd/x86_kernels.hpp"

namespace flashcheck {
namespace cpu_simd {
namespace {

// The code of one ISA; null where this build has none (not an x86-64 build).
struct X86Code {
  AttentionRowsFn attention_rows;
  VectorFn exp;
  VectorFn tanh;
};

#if FLASHCHECK_CPU_SIMD_X86
constexpr X86Code kAvx2Code{&avx2_attention_rows, &avx2_exp, &avx2_tanh};
constexpr X86Code kAvx512Code{&avx512_attention_rows, &avx512_exp, &avx512_tanh};
#else
constexpr X86Code kAvx2Code{nullptr, nullptr, nullptr};
constexpr X86Code kAvx512Code{nullptr, nullptr, nullptr};
#endif

struct X86Isa {
  const char* name;
  const char* description;
  const char* requirement;            // what the CPU must have, for messages
  std::string (*missing_features)();  // empty when the CPU has them all
  X86Code code;
};

const X86Isa kIsas[] = {
    {kCpuAvx2Name,
     "AVX2+FMA flash attention: 8 key lanes per block, lanes over the head dimension for q.k and p.v, own "
     "vectorised expf, F16C f16 storage, fp32 accumulation",
     "AVX2, FMA and F16C", &missing_avx2_features, kAvx2Code},
    {kCpuAvx512Name,
     "AVX-512 flash attention: 16 key lanes per block, masked loads for row tails, own vectorised expf, fp32 "
     "accumulation",
     "AVX-512 F/BW/DQ/VL with FMA and F16C", &missing_avx512_features, kAvx512Code},
};

const X86Isa* find_isa(const std::string& name) {
  for (const X86Isa& isa : kIsas)
    if (name == isa.name) return &isa;
  return nullptr;
}

bool isa_available(const X86Isa& isa, std::string* why_not) {
  const std::string missing = isa.missing_features();
  if (missing.empty()) return true;
  if (why_not) *why_not = std::string(isa.name) + " needs " + isa.requirement + "; this CPU (or OS) lacks: " + missing;
  return false;
}

// Scratch rows rounded up to the widest vector (16 lanes), as the kernels expect.
size_t padded(int64_t n) { return static_cast<size_t>((n + 15) / 16 * 16); }

class CpuX86Backend final : public Backend {
 public:
  CpuX86Backend(const X86Isa& isa, const std::string& mutant, int threads)
      : isa_(isa), mutant_(mutant), reduction_(max_reduction_for(isa.name, mutant)), threads_(threads) {}

  std::string name() const override { return backend_spec(isa_.name, mutant_); }
  std::string description() const override { return isa_.description; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    return caps;
  }

  bool available(std::string* why_not) const override { return isa_available(isa_, why_not); }

  bool set_threads(int threads) override {
    threads_ = std::max(threads, 0);
    return true;
  }

  std::vector<MutantInfo> mutants() const override { return simd_mutants(); }

  RunResult run(const AttentionCase& c) override {
    std::string why;
    if (!available(&why)) return RunResult::unsupported(why);
    RunResult result;
    const KernelView view(c, result.output, reduction_);
    const KernelArgs& args = view.args();
    const int64_t rows = view.rows();
    const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
    const int64_t workers = std::clamp<int64_t>(threads_ > 0 ? threads_ : hardware, 1, rows);
    std::atomic<int64_t> next_row{0};
    // Every row is computed by one thread in one fixed order: results do not depend on threads.
    auto work = [&] {
      std::vector<float> q_row(padded(c.shape.dk)), acc(padded(c.shape.dv));
      for (int64_t row = next_row++; row < rows; row = next_row++)
        isa_.code.attention_rows(args, row, row + 1, q_row.data(), acc.data());
    };
    {
      std::vector<std::jthread> pool;
      for (int64_t t = 1; t < workers; ++t) pool.emplace_back(work);
      work();
    }
    return result;
  }

 private:
  const X86Isa& isa_;
  std::string mutant_;
  MaxReduction reduction_;
  int threads_;
};

}  // namespace

std::optional<std::vector<float>> x86_simd_function(const std::string& subject, SimdFunction f,
                                                    std::span<const float> x, std::string* why) {
  const X86Isa* isa = find_isa(subject);
  if (!isa) throw std::invalid_argument("no x86 subject named " + subject);
  if (!isa_available(*isa, why)) return std::nullopt;
  std::vector<float> y(x.size());
  (f == SimdFunction::exp ? isa->code.exp : isa->code.tanh)(x.data(), y.data(), static_cast<int64_t>(x.size()));
  return y;
}

}  // namespace cpu_simd

std::unique_ptr<Backend> make_cpu_avx2_backend(const std::string& mutant, int threads) {
  return std::make_unique<cpu_simd::CpuX86Backend>(*cpu_simd::find_isa(kCpuAvx2Name), mutant, threads);
}

std::unique_ptr<Backend> make_cpu_avx512_backend(const std::string& mutant, int threads) {
  return std::make_unique<cpu_simd::CpuX86Backend>(*cpu_simd::find_isa(kCpuAvx512Name), mutant, threads);
}

}  // namespace flashcheck
