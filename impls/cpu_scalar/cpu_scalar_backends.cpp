#include "impls/cpu_scalar/cpu_scalar_backends.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "impls/cpu_scalar/kernel_entry.hpp"

namespace flashcheck::cpu_scalar {
namespace {

using enum Mutant;

struct VariantSpec {
  Variant id;
  std::string_view name;
  std::string_view description;
  KernelFn kernel;
  bool writes_cache;  // quantizes the case's source K/V itself before running the kernel
  std::vector<Mutant> mutants;
};

// The seed-004 mutants are listed only where they break: under IEEE semantics (default
// flags) neg-inf-init is a correct kernel, and inf-plus-slope-mask only leaks non-finite
// values stored at hidden keys.
const std::array<VariantSpec, 5>& specs() {
  static const std::array<VariantSpec, 5> table{{
      {Variant::one_chunk, "cpu-scalar",
       "ggml one-chunk CPU flash attention: one query row at a time, f32 online softmax, quantized KV read natively",
       build_standard::flash_attn_one_chunk, false,
       {vkq16, inf_plus_slope_mask, gqa_head_modulo, causal_offset, soa_head_offset_twice, nibble_order_swapped,
        e8m0_ff_as_inf}},
      {Variant::one_chunk_finite_math, "cpu-scalar-finite-math",
       "the cpu-scalar kernel sources compiled with -ffinite-math-only", build_finite_math::flash_attn_one_chunk, false,
       {vkq16, neg_inf_init, inf_plus_slope_mask, gqa_head_modulo, causal_offset, soa_head_offset_twice,
        nibble_order_swapped}},
      {Variant::one_chunk_fast_math, "cpu-scalar-fast-math", "the cpu-scalar kernel sources compiled with -ffast-math",
       build_fast_math::flash_attn_one_chunk, false,
       {vkq16, neg_inf_init, inf_plus_slope_mask, gqa_head_modulo, causal_offset, soa_head_offset_twice,
        nibble_order_swapped}},
      {Variant::tiled, "cpu-scalar-tiled",
       "ggml tiled CPU flash attention: 32 query rows x 64 keys per tile, softmax weights summed in double",
       build_standard::flash_attn_tiled, false,
       {gqa_head_modulo, causal_offset, soa_head_offset_twice, nibble_order_swapped}},
      {Variant::setrows, "cpu-scalar-setrows",
       "quantized KV write path (set_rows: own quantizer, optional Hadamard) followed by the cpu-scalar kernel",
       build_standard::flash_attn_one_chunk, true, {mx_scale_round}},
  }};
  return table;
}

const VariantSpec& spec_of(Variant v) {
  for (const VariantSpec& s : specs())
    if (s.id == v) return s;
  throw std::invalid_argument("cpu-scalar: unknown variant");
}

class CpuScalarBackend final : public Backend {
 public:
  CpuScalarBackend(const VariantSpec& spec, Mutant mutant, int threads)
      : spec_(spec), mutant_(mutant), threads_(threads) {}

  std::string name() const override {
    return backend_spec(std::string(spec_.name), mutant_ == none ? std::string() : mutant_info(mutant_).name);
  }
  std::string description() const override { return std::string(spec_.description); }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.q_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_types = {DType::f32, DType::f16, DType::bf16};
    caps.o_types = {DType::f32, DType::f16, DType::bf16};
    caps.kv_schemes = kv_scheme_names();
    caps.kv_layouts = {KvRowLayout::aos, KvRowLayout::soa};
    caps.hadamard = true;
    return caps;
  }

  std::vector<MutantInfo> mutants() const override {
    std::vector<MutantInfo> out;
    for (Mutant m : spec_.mutants) out.push_back(mutant_info(m));
    return out;
  }

  bool set_threads(int threads) override {
    threads_ = std::max(threads, 0);
    return true;
  }

  RunResult run(const AttentionCase& c) override {
    RunResult r;
    if (!spec_.writes_cache) {
      r.output = spec_.kernel(c, KernelOptions{mutant_, threads_});
      return r;
    }
    if (!c.has_quantized_kv())
      return RunResult::unsupported("cpu-scalar-setrows writes quantized K/V caches; this case stores K and V unquantized");
    AttentionCase written = c;  // the kernel reads the cache this write path produced
    for (std::optional<QuantizedKv>* q : {&written.k_quant, &written.v_quant}) {
      if (!q->has_value()) continue;
      // Bytes no quantizer writes (a scale byte set directly, as --v-nan-scale does) are
      // not an input a write path can have: it only ever stores its own quantization.
      if (build_standard::set_rows((*q)->source, (*q)->scheme, (*q)->layout, (*q)->hadamard, none) != (*q)->bytes)
        return RunResult::unsupported(
            "cpu-scalar-setrows quantizes the source K/V itself; this case's bytes are not that quantization");
      (*q)->bytes = build_standard::set_rows((*q)->source, (*q)->scheme, (*q)->layout, (*q)->hadamard, mutant_);
    }
    r.output = spec_.kernel(written, KernelOptions{none, threads_});
    return r;
  }

 private:
  const VariantSpec& spec_;
  Mutant mutant_;
  int threads_;
};

}  // namespace

std::span<const Variant> all_variants() {
  static constexpr std::array kVariants{Variant::one_chunk, Variant::one_chunk_finite_math,
                                        Variant::one_chunk_fast_math, Variant::tiled, Variant::setrows};
  return kVariants;
}

std::string_view variant_name(Variant v) { return spec_of(v).name; }

std::vector<Mutant> variant_mutants(Variant v) { return spec_of(v).mutants; }

std::unique_ptr<Backend> make_backend(Variant v, const std::string& mutant, int threads) {
  const VariantSpec& spec = spec_of(v);
  const std::optional<Mutant> m = parse_mutant(mutant);
  if (!m || (*m != none && std::find(spec.mutants.begin(), spec.mutants.end(), *m) == spec.mutants.end()))
    throw std::invalid_argument("backend '" + std::string(spec.name) + "' has no mutant '" + mutant + "'");
  return std::make_unique<CpuScalarBackend>(spec, *m, threads);
}

}  // namespace flashcheck::cpu_scalar
