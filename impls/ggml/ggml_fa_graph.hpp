#pragma once
// One fc_case as one ggml graph on a ggml backend chosen by the caller (CPU, CUDA):
// Q, K, V, mask and sinks as ggml tensors in one buffer of that backend, filled with the
// case's bytes (block-quantized K/V rows uploaded as the same blocks), a single
// ggml_flash_attn_ext node computed there, and its output (ggml writes it permuted,
// [batch][lq][hq][dv]) read back into O [batch][hq][lq][dv].
#include "flashcheck/backend.h"
#include "ggml-backend.h"

namespace flashcheck::ggml_subject {

// The ggml block types K/V may be stored in, by flashcheck scheme name (AoS only).
inline constexpr const char* kGgmlKvSchemes = "ggml_q8_0,ggml_q4_0,ggml_mxfp4";

// What ggml_flash_attn_ext takes on any backend: Q f32, K/V f32, f16 or bf16 or ggml block
// types (AoS rows), O f32; every mask, ALiBi and window as the one f16 KQ mask llama.cpp
// passes; no LSE output; no Hadamard rotation of Q. Graded under fp32: llama.cpp sets
// GGML_PREC_F32 on flash attention. Head sizes and type pairs a backend has no kernel for
// are refused per case (ggml_backend_supports_op), as llama.cpp's scheduler would.
constexpr fc_subject flash_attn_ext_subject(const char* name, const char* description, int64_t max_head_dim,
                                            int (*run)(const fc_case*, fc_output*)) {
  return fc_subject{name,
                    description,
                    FC_DTYPE_BIT(FC_DTYPE_F32),
                    FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16) | FC_DTYPE_BIT(FC_DTYPE_BF16),
                    FC_DTYPE_BIT(FC_DTYPE_F32),
                    FC_FEATURE_CAUSAL | FC_FEATURE_WINDOW | FC_FEATURE_EXPLICIT_MASK | FC_FEATURE_ALIBI |
                        FC_FEATURE_SOFTCAP | FC_FEATURE_SINKS | FC_FEATURE_GQA | FC_FEATURE_STRIDED |
                        FC_FEATURE_DK_NE_DV,
                    max_head_dim,
                    kGgmlKvSchemes,
                    FC_KV_LAYOUT_BIT(FC_KV_AOS),
                    "fp32",
                    "llama.cpp sets GGML_PREC_F32 on flash attention, which ggml.h defines as requiring f32 "
                    "accumulation",
                    run};
}

// Runs the case on backend; returns an fc_status, with the reason in out->error when not
// OK. A node the backend does not support (ggml_backend_supports_op) is FC_STATUS_UNSUPPORTED.
int run_flash_attn_ext(const fc_case& c, fc_output& out, ggml_backend_t backend);

}  // namespace flashcheck::ggml_subject
