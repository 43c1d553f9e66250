/*
 * flashcheck/backend.h - the plugin ABI: an out-of-tree attention kernel as a
 * flashcheck subject.
 *
 * A plugin is a shared library exporting one C function, flashcheck_plugin(). The
 * host (flashcheck check --plugin lib.so, replay --plugin, or flashcheck_add_backend()
 * in CMake) loads it in a separate worker process, so a plugin that crashes or hangs
 * costs one verdict ("crashed (signal N)", "timed out"), never the run.
 *
 * Everything here is plain C99 so any toolchain can build a plugin. The host only
 * ever reads what a plugin returns; it owns every buffer it passes in.
 *
 * Versioning: FC_PLUGIN_ABI_VERSION changes when a struct below changes layout or
 * meaning. The host passes its version to flashcheck_plugin(); a plugin built for
 * another version returns NULL (or its own version in fc_plugin.abi_version, which
 * the host refuses with a message naming both). Structs carry struct_size (the
 * subject array its element size, fc_plugin.subject_size) so later versions may only
 * append fields.
 */
#ifndef FLASHCHECK_BACKEND_H
#define FLASHCHECK_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FC_PLUGIN_ABI_VERSION 1u
#define FC_PLUGIN_ENTRY_POINT "flashcheck_plugin"

#if defined(_WIN32)
#define FC_PLUGIN_EXPORT __declspec(dllexport)
#else
#define FC_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Storage types of Q, K, V, O and the explicit mask. Bit i of a dtype mask is dtype i. */
typedef enum fc_dtype { FC_DTYPE_F32 = 0, FC_DTYPE_F16 = 1, FC_DTYPE_BF16 = 2 } fc_dtype;
#define FC_DTYPE_BIT(t) (1u << (unsigned)(t))

/* The structural mask. Query i sees key j (offset = lk - lq):
 *   NONE:     always              CAUSAL: j <= i + offset
 *   WINDOW:   0 <= i + offset - j < window
 *   EXPLICIT_ONLY: only the explicit mask decides (no structural part). */
typedef enum fc_mask_kind {
  FC_MASK_NONE = 0,
  FC_MASK_CAUSAL = 1,
  FC_MASK_WINDOW = 2,
  FC_MASK_EXPLICIT_ONLY = 3
} fc_mask_kind;

/* Block-quantized K/V row layouts (see fc_quantized_kv). */
typedef enum fc_kv_layout { FC_KV_AOS = 0, FC_KV_SOA = 1 } fc_kv_layout;
#define FC_KV_LAYOUT_BIT(l) (1u << (unsigned)(l))

/* Optional features a subject supports; a case needing a missing one is reported
 * "unsupported" with the reason, and never sent to the plugin. */
enum fc_feature {
  FC_FEATURE_CAUSAL = 1u << 0,
  FC_FEATURE_WINDOW = 1u << 1,
  FC_FEATURE_EXPLICIT_MASK = 1u << 2,
  FC_FEATURE_ALIBI = 1u << 3,
  FC_FEATURE_SOFTCAP = 1u << 4,
  FC_FEATURE_SINKS = 1u << 5,
  FC_FEATURE_GQA = 1u << 6,      /* hq a multiple of hkv > 1 heads per KV head */
  FC_FEATURE_STRIDED = 1u << 7,  /* reads non-contiguous Q/K/V views */
  FC_FEATURE_DK_NE_DV = 1u << 8,
  FC_FEATURE_LSE = 1u << 9,      /* fills fc_output.lse */
  FC_FEATURE_HADAMARD = 1u << 10 /* rotates Q itself when K was Hadamard-rotated */
};

/* A 4-d tensor view, [batch][heads][seq][dim], strides in elements (not bytes). */
typedef struct fc_tensor {
  int32_t dtype; /* fc_dtype */
  int32_t reserved;
  int64_t shape[4];
  int64_t strides[4];
  const void* data;
} fc_tensor;

/* K or V stored block-quantized, as a quantized KV cache holds it.
 * A row is one token of one batch entry: heads * dim values, head-major, cut into
 * blocks of 32. AoS: block n at byte n * block_bytes, scale first, then the element
 * bytes. SoA: every block's element bytes, then every scale. Scales are one E8M0 byte
 * (MX schemes, "ggml_mxfp4") or little-endian fp16 ("ggml_q8_0", "ggml_q4_0"). The
 * byte layout of every scheme is in docs/formats.md; "ggml_q8_0", "ggml_q4_0" and
 * "ggml_mxfp4" in AoS are exactly ggml's block_q8_0, block_q4_0 and block_mxfp4. */
typedef struct fc_quantized_kv {
  const char* scheme; /* "ggml_q8_0", "ggml_q4_0", "ggml_mxfp4", "mxfp4_e2m1", "mxfp6_e2m3", ... */
  int32_t layout;     /* fc_kv_layout */
  int32_t hadamard;   /* 1: each source block was rotated by H/sqrt(32) before quantizing */
  int64_t batch, heads, tokens, dim;
  int64_t row_bytes;    /* bytes of one row; row (b, t) at bytes + (b * tokens + t) * row_bytes */
  const uint8_t* bytes; /* batch * tokens * row_bytes */
} fc_quantized_kv;

/* One attention problem. Score of query i in head h against key j:
 *   s = scale * dot(q_i, k_j);  if softcap > 0: s = softcap * tanh(s / softcap)
 *   s += slope(h) * bias[i][j]
 * slope(h) is 1 unless max_bias > 0 (ALiBi, slopes as ggml computes them). bias is
 * the materialized additive mask below: -inf where the key is hidden, else the
 * explicit mask value (if any) plus, under ALiBi, -|i + lk - lq - j|. With sinks, the
 * softmax denominator gets exp(sinks[h]) added. O = softmax(s) V, LSE = log(sum). A
 * row with no visible key (and no sink) gives O = 0 and LSE = -inf under the default
 * contract. */
typedef struct fc_case {
  uint32_t struct_size; /* sizeof(fc_case) of the host */
  int32_t n_threads;    /* worker threads the host asks for; 0: the plugin's choice */
  int64_t batch, hq, hkv, lq, lk, dk, dv;
  fc_tensor q; /* [batch][hq][lq][dk] */
  fc_tensor k; /* [batch][hkv][lk][dk]; f32 exact dequantized values when k_quant is set */
  fc_tensor v; /* [batch][hkv][lk][dv]; likewise for v_quant */
  const fc_quantized_kv* k_quant; /* NULL unless K is block-quantized */
  const fc_quantized_kv* v_quant; /* NULL unless V is block-quantized */
  float scale;
  float max_bias; /* ALiBi when > 0 */
  float softcap;  /* logit soft-capping when > 0 */
  int32_t mask_kind; /* fc_mask_kind */
  int64_t window;    /* FC_MASK_WINDOW only */
  const fc_tensor* mask; /* the explicit additive mask [1][1][lq][lk] (f32 or f16), or NULL */
  const float* bias;     /* always set: the materialized mask [lq][lk], row-major, f32 */
  const float* sinks;    /* NULL, or hq values */
  int32_t o_dtype;       /* fc_dtype of O */
  int32_t reserved;
} fc_case;

/* Where a subject writes its result. The host allocates o (contiguous
 * [batch][hq][lq][dv] in the case's o_dtype) and lse ([batch][hq][lq] f32, natural
 * log). A subject with FC_FEATURE_LSE fills lse; the others leave it alone. On error
 * it writes a NUL-terminated message into error (at most error_size bytes). */
typedef struct fc_output {
  uint32_t struct_size;
  int32_t reserved;
  void* o;
  float* lse;
  char* error;
  size_t error_size;
} fc_output;

typedef enum fc_status {
  FC_STATUS_OK = 0,
  FC_STATUS_ERROR = 1,      /* error holds the message; graded as a backend error */
  FC_STATUS_UNSUPPORTED = 2 /* error holds why; reported as unsupported, not a failure */
} fc_status;

/* One kernel under test. A plugin may export several (a decode and a prefill kernel,
 * say); each is graded as its own subject, named by name. */
typedef struct fc_subject {
  const char* name;        /* [a-z0-9_.-]+, unique within the plugin */
  const char* description; /* one line */
  uint32_t q_dtypes, kv_dtypes, o_dtypes; /* FC_DTYPE_BIT masks */
  uint32_t features;                      /* fc_feature bits */
  int64_t max_head_dim;
  const char* kv_schemes; /* comma-separated block schemes read natively; "" or NULL: none */
  uint32_t kv_layouts;    /* FC_KV_LAYOUT_BIT mask for those schemes */
  /* The contract it is graded under: "fp32" (fp32 accumulation, O = 0 and LSE = -inf
   * for fully masked rows, masked K/V never read) or another contract of
   * docs/tolerance.md ("fp16-accumulation", "fp32-masked-nan", ...); contract_note says why, in one line. */
  const char* contract;
  const char* contract_note;
  /* Runs one case; returns an fc_status. Must not keep pointers into c or out. */
  int (*run)(const fc_case* c, fc_output* out);
} fc_subject;

typedef struct fc_plugin {
  uint32_t abi_version; /* FC_PLUGIN_ABI_VERSION the plugin was built with */
  uint32_t struct_size; /* sizeof(fc_plugin) */
  const char* name;     /* the plugin, for reports: "my-kernels" */
  const char* version;  /* the kernel's own version string, for reports */
  int32_t n_subjects;
  const fc_subject* subjects;
  /* sizeof(fc_subject) of the plugin: the step between array elements, so a later
   * version may append fields to fc_subject too. Version 1 requires exactly its own. */
  uint32_t subject_size;
} fc_plugin;

/* The one entry point. Returns the plugin's description (static storage), or NULL
 * when it cannot serve a host of this ABI version. */
typedef const fc_plugin* (*fc_plugin_entry_fn)(uint32_t host_abi_version);
FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* FLASHCHECK_BACKEND_H */
