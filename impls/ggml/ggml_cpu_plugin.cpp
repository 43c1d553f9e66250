// The ggml CPU backend's flash attention (ggml_flash_attn_ext, from the llama.cpp that
// the pinned llama-cpp-python vendors) as the flashcheck subject "ggml-cpu".
#include <algorithm>
#include <memory>
#include <thread>

#include "flashcheck/backend.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"
#include "impls/ggml/ggml_fa_graph.hpp"

namespace {

struct BackendDeleter {
  void operator()(ggml_backend* b) const { ggml_backend_free(b); }
};

// n_threads 0: the host's count (fc_case.n_threads; its 0: all cores). The pinned
// counts exist because ggml partitions work by thread count (row chunks; the split-KV
// decode path gives each thread one KV chunk and merges them), so a replay covers both
// partitions on any machine. A CPU backend is a few bytes: one per case.
template <int kThreads>
int run_ggml_cpu(const fc_case* c, fc_output* out) {
  const std::unique_ptr<ggml_backend, BackendDeleter> backend(ggml_backend_cpu_init());
  int threads = kThreads != 0 ? kThreads : c->n_threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (backend) ggml_backend_cpu_set_n_threads(backend.get(), threads);
  return flashcheck::ggml_subject::run_flash_attn_ext(*c, *out, backend.get());
}

const fc_subject kSubjects[] = {
    flashcheck::ggml_subject::flash_attn_ext_subject(
        "ggml-cpu", "ggml_flash_attn_ext on ggml's CPU backend, with the host's thread count", 1024, run_ggml_cpu<0>),
    flashcheck::ggml_subject::flash_attn_ext_subject("ggml-cpu-t1", "ggml_flash_attn_ext on ggml's CPU backend, 1 thread",
                                                     1024, run_ggml_cpu<1>),
    flashcheck::ggml_subject::flash_attn_ext_subject("ggml-cpu-t2", "ggml_flash_attn_ext on ggml's CPU backend, 2 threads",
                                                     1024, run_ggml_cpu<2>),
};

}  // namespace

extern "C" FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  if (host_abi_version != FC_PLUGIN_ABI_VERSION) return nullptr;
  ggml_cpu_init();  // fp16 tables and CPU feature detection, once
  static const fc_plugin plugin{FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "ggml",
                                "llama-cpp-python " FLASHCHECK_GGML_PACKAGE_VERSION, 3, kSubjects,
                                sizeof(fc_subject)};
  return &plugin;
}
