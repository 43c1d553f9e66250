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

// Runs the case on backend; returns an fc_status, with the reason in out->error when not
// OK. A node the backend does not support (ggml_backend_supports_op) is FC_STATUS_UNSUPPORTED.
int run_flash_attn_ext(const fc_case& c, fc_output& out, ggml_backend_t backend);

}  // namespace flashcheck::ggml_subject
