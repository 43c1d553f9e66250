// ggml's CUDA backend's flash attention (ggml_flash_attn_ext, from the llama.cpp that the
// pinned llama-cpp-python vendors, built with GGML_CUDA by ci/gpu-ggml-cuda.sh) as the
// flashcheck subject "ggml-cuda". Same graph as "ggml-cpu" (impls/ggml/ggml_fa_graph.*),
// run on CUDA device 0.
#include <cstdio>

#include "flashcheck/backend.h"
#include "ggml-backend.h"
#include "ggml-cuda.h"
#include "impls/ggml/ggml_fa_graph.hpp"

namespace {

// One backend for the worker's lifetime: it owns the CUDA streams, the cuBLAS handle and
// the memory pool, which are too costly to make per case. Never freed: the worker exits.
ggml_backend_t cuda_backend() {
  static const ggml_backend_t backend = ggml_backend_cuda_get_device_count() > 0 ? ggml_backend_cuda_init(0) : nullptr;
  return backend;
}

int run_ggml_cuda(const fc_case* c, fc_output* out) {
  const ggml_backend_t backend = cuda_backend();
  if (!backend) {
    if (out->error && out->error_size > 0)
      std::snprintf(out->error, out->error_size, "ggml-cuda: no CUDA device (ggml_backend_cuda_init(0) failed)");
    return FC_STATUS_ERROR;
  }
  return flashcheck::ggml_subject::run_flash_attn_ext(*c, *out, backend);
}

// What ggml_flash_attn_ext takes on any backend: Q f32, K/V f32, f16 or bf16 or ggml
// block types (AoS rows), O f32; every mask, ALiBi and window as llama.cpp's f16 KQ mask;
// no LSE output; no Hadamard rotation. Head sizes and type pairs CUDA has no kernel for
// are refused per case (ggml_backend_supports_op), as llama.cpp's scheduler would.
constexpr uint32_t kFeatures = FC_FEATURE_CAUSAL | FC_FEATURE_WINDOW | FC_FEATURE_EXPLICIT_MASK |
                               FC_FEATURE_ALIBI | FC_FEATURE_SOFTCAP | FC_FEATURE_SINKS | FC_FEATURE_GQA |
                               FC_FEATURE_STRIDED | FC_FEATURE_DK_NE_DV;
constexpr uint32_t kKvDtypes = FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16) | FC_DTYPE_BIT(FC_DTYPE_BF16);
constexpr const char* kContractNote =
    "llama.cpp sets GGML_PREC_F32 on flash attention, which ggml.h defines as requiring f32 accumulation";

const fc_subject kSubjects[] = {
    fc_subject{"ggml-cuda",
               "ggml_flash_attn_ext on ggml's CUDA backend, device 0",
               FC_DTYPE_BIT(FC_DTYPE_F32),
               kKvDtypes,
               FC_DTYPE_BIT(FC_DTYPE_F32),
               kFeatures,
               576,
               flashcheck::ggml_subject::kGgmlKvSchemes,
               FC_KV_LAYOUT_BIT(FC_KV_AOS),
               "fp32",
               kContractNote,
               run_ggml_cuda},
};

}  // namespace

extern "C" FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  if (host_abi_version != FC_PLUGIN_ABI_VERSION) return nullptr;
  static const fc_plugin plugin{FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "ggml-cuda",
                                "llama-cpp-python " FLASHCHECK_GGML_PACKAGE_VERSION " (GGML_CUDA)", 1, kSubjects,
                                sizeof(fc_subject)};
  return &plugin;
}
