#include "impls/opencl/fa_program.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace flashcheck::opencl {
namespace {

constexpr std::pair<DType, StorageCode> kDTypeCodes[] = {
    {DType::f32, StorageCode::f32}, {DType::f16, StorageCode::f16}, {DType::bf16, StorageCode::bf16}};

constexpr std::pair<std::string_view, StorageCode> kSchemeCodes[] = {
    {"ggml_q8_0", StorageCode::q8_0}, {"ggml_q4_0", StorageCode::q4_0}};

// Default first: the build every kernel must pass; then the two flag sets under which
// an infinity anywhere in the arithmetic is undefined behaviour.
constexpr FlagSet kFlagSets[] = {
    {"opencl", "", "default OpenCL C build"},
    {"opencl-finite-math", "-cl-finite-math-only", "built with -cl-finite-math-only"},
    {"opencl-fast-relaxed-math", "-cl-fast-relaxed-math", "built with -cl-fast-relaxed-math"},
};

}  // namespace

StorageCode storage_code(DType t) {
  for (const auto& [dtype, code] : kDTypeCodes)
    if (dtype == t) return code;
  throw std::invalid_argument("no OpenCL storage code for dtype " + dtype_name(t));
}

StorageCode kv_storage_code(DType t, const std::optional<QuantizedKv>& quant) {
  if (!quant) return storage_code(t);
  for (const auto& [scheme, code] : kSchemeCodes)
    if (scheme == quant->scheme) return code;
  throw std::invalid_argument(fmt::format("the OpenCL kernels do not read {} blocks", quant->scheme));
}

size_t local_mem_needed(int64_t dk, int64_t dv) {
  const auto f = sizeof(float);
  const size_t prefill = static_cast<size_t>(kBlockN * (dk + dv)) * f;                  // K and V tile
  const size_t decode = static_cast<size_t>(2 * kDecodeWg + kDecodeWg * dv + dv) * f;  // states, rows, columns
  return std::max(prefill, decode);
}

std::span<const FlagSet> flag_sets() { return kFlagSets; }

const FlagSet* find_flag_set(std::string_view backend_name) {
  for (const FlagSet& f : kFlagSets)
    if (f.backend_name == backend_name) return &f;
  return nullptr;
}

const std::vector<OpenClMutant>& opencl_mutants() {
  static const std::vector<OpenClMutant> mutants{
      {{"neg-inf-init", "004", "nan-from-inf",
        "running max, masked-score and split-merge sentinels are -INFINITY (the causal/window mask added as "
        "-INFINITY) and tested with == -INFINITY: right in the default build, undefined under -cl-finite-math-only "
        "and -cl-fast-relaxed-math, where the compiler drops the infinite mask term and hidden keys leak"},
       "FA_MUTANT_NEG_INF_INIT"},
      {{"tile-class-off-by-one", "004", "masked-key-leak",
        "the mask prepass classifies each KV tile from its keys minus the last one, so a tile whose only hidden key "
        "is its last runs as unmasked (and a one-key tail tile as fully masked)"},
       "FA_MUTANT_TILE_CLASS_OFF_BY_ONE"},
  };
  return mutants;
}

const OpenClMutant* find_opencl_mutant(std::string_view name) {
  for (const OpenClMutant& m : opencl_mutants())
    if (m.info.name == name) return &m;
  return nullptr;
}

std::string program_options(const FlagSet& flags, const OpenClMutant* mutant) {
  std::string options = fmt::format("-cl-std=CL1.2 -DFA_MAX_D={} -DFA_BLOCK_M={} -DFA_BLOCK_N={} -DFA_DECODE_WG={}",
                                    kMaxHeadDim, kBlockM, kBlockN, kDecodeWg);
  if (mutant) options += " -D" + mutant->define;
  if (!flags.flags.empty()) options += fmt::format(" {}", flags.flags);
  return options;
}

}  // namespace flashcheck::opencl
