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

const fc_subject kSubjects[] = {
    flashcheck::ggml_subject::flash_attn_ext_subject("ggml-cuda", "ggml_flash_attn_ext on ggml's CUDA backend, device 0",
                                                     576, run_ggml_cuda),
};

}  // namespace

extern "C" FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  if (host_abi_version != FC_PLUGIN_ABI_VERSION) return nullptr;
  static const fc_plugin plugin{FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "ggml-cuda",
                                "llama-cpp-python " FLASHCHECK_GGML_PACKAGE_VERSION " (GGML_CUDA)", 1, kSubjects,
                                sizeof(fc_subject)};
  return &plugin;
}
