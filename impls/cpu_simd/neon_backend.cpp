#include "impls/cpu_simd/neon_backend.hpp"

#include <mutex>
#include <stdexcept>

#include "impls/cpu_simd/neon_request.hpp"
#include "impls/cpu_simd/neon_runner_process.hpp"
#include "impls/cpu_simd/simd_mutants.hpp"

namespace flashcheck {
namespace cpu_simd {
namespace {

struct NeonVariant {
  const char* name;
  const char* description;
  wire::Arithmetic arithmetic;
  bool has_mutants;
};

const NeonVariant kNeon{
    kCpuNeonName,
    "AArch64 NEON flash attention (run under qemu-user): 4 key lanes per block, FMA, own vectorised "
    "expf, fp32 accumulation",
    wire::Arithmetic::fp32, true};
const NeonVariant kNeonFp16{kCpuNeonFp16Name,
                            "AArch64 NEON with fp16 arithmetic (armv8.2-a+fp16, run under qemu-user): q.k scores and "
                            "the output accumulator in fp16, softmax statistics in fp32; not held to the fp32 budget",
                            wire::Arithmetic::fp16, false};

// The runner's CPU features ("asimd asimdhp"), asked once per process.
const std::string& runner_features() {
  static std::once_flag once;
  static std::string features;
  std::call_once(once, [] {
    try {
      const std::vector<std::byte> response = run_neon_runner({"--features"}, {});
      wire::Reader r = open_response(response);
      const auto length = r.get<uint64_t>("features length");
      const std::byte* text = r.take(length, "features");
      features.assign(reinterpret_cast<const char*>(text), length);
    } catch (const std::exception& e) {
      features = std::string("(probe failed: ") + e.what() + ")";
    }
  });
  return features;
}

bool runner_available(wire::Arithmetic arithmetic, std::string* why_not) {
  if (auto missing = neon_runner_missing()) {
    if (why_not) *why_not = *missing;
    return false;
  }
  if (arithmetic == wire::Arithmetic::fp16 && runner_features().find("asimdhp") == std::string::npos) {
    if (why_not)
      *why_not = "the emulated aarch64 CPU has no fp16 arithmetic (asimdhp); runner reports: " + runner_features();
    return false;
  }
  return true;
}

class CpuNeonBackend final : public Backend {
 public:
  CpuNeonBackend(const NeonVariant& variant, const std::string& mutant)
      : variant_(variant), mutant_(mutant), reduction_(max_reduction_for(variant.name, mutant)) {
    if (!variant.has_mutants && !mutant.empty())
      throw std::invalid_argument(std::string(variant.name) + " has no mutants");
  }

  std::string name() const override { return backend_spec(variant_.name, mutant_); }
  std::string description() const override { return variant_.description; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    // fp16 arithmetic takes K and V in their own format only; bf16's range does not fit.
    caps.kv_types = variant_.arithmetic == wire::Arithmetic::fp16
                        ? std::vector<DType>{DType::f16}
                        : std::vector<DType>{DType::f32, DType::f16, DType::bf16};
    if (variant_.arithmetic == wire::Arithmetic::fp16) {
      caps.contract = "fp16-accumulation";
      caps.contract_note = "fp16 scores and accumulator";
    }
    return caps;
  }

  bool available(std::string* why_not) const override { return runner_available(variant_.arithmetic, why_not); }

  std::vector<MutantInfo> mutants() const override {
    return variant_.has_mutants ? simd_mutants() : std::vector<MutantInfo>{};
  }

  RunResult run(const AttentionCase& c) override {
    std::string why;
    if (!available(&why)) return RunResult::unsupported(why);
    std::vector<std::string> flags;
    if (reduction_ == MaxReduction::lane0) flags.emplace_back("--max-lane0");
    const std::vector<std::byte> response = run_neon_runner(flags, encode_attention_request(c, variant_.arithmetic));
    wire::Reader payload = open_response(response);
    RunResult result;
    result.output = decode_attention_response(payload, c);
    return result;
  }

 private:
  const NeonVariant& variant_;
  std::string mutant_;
  MaxReduction reduction_;
};

}  // namespace

std::optional<std::vector<float>> neon_simd_function(SimdFunction f, std::span<const float> x, std::string* why) {
  if (!runner_available(wire::Arithmetic::fp32, why)) return std::nullopt;
  const std::vector<std::byte> response =
      run_neon_runner({f == SimdFunction::exp ? "--exp" : "--tanh"}, encode_function_request(x));
  wire::Reader payload = open_response(response);
  return decode_function_response(payload, x.size());
}

}  // namespace cpu_simd

std::unique_ptr<Backend> make_cpu_neon_backend(const std::string& mutant) {
  return std::make_unique<cpu_simd::CpuNeonBackend>(cpu_simd::kNeon, mutant);
}

std::unique_ptr<Backend> make_cpu_neon_fp16_backend() {
  return std::make_unique<cpu_simd::CpuNeonBackend>(cpu_simd::kNeonFp16, "");
}

}  // namespace flashcheck
