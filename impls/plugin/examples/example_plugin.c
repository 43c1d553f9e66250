/* An example flashcheck plugin (plain C99): two subjects running the same readable
 * fp32 online-softmax kernel (example_kernel.c).
 *   example-c        every dtype, mask and option of the ABI, and the LSE
 *   example-c-basic  declares much less (f32 Q, causal masks only, no LSE), so cases
 *                    needing more are reported "unsupported" and never reach it
 * Check it with: flashcheck check --plugin ./libexample_plugin.so --quick */
#include "example_kernel.h"

#define ALL_DTYPES (FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16) | FC_DTYPE_BIT(FC_DTYPE_BF16))

static int run_full(const fc_case* c, fc_output* out) { return example_attention(c, out, 1); }
static int run_basic(const fc_case* c, fc_output* out) { return example_attention(c, out, 0); }

static const fc_subject subjects[] = {
    {"example-c", "fp32 online softmax in plain C, one row per thread step", ALL_DTYPES, ALL_DTYPES, ALL_DTYPES,
     FC_FEATURE_CAUSAL | FC_FEATURE_WINDOW | FC_FEATURE_EXPLICIT_MASK | FC_FEATURE_ALIBI | FC_FEATURE_SOFTCAP |
         FC_FEATURE_SINKS | FC_FEATURE_GQA | FC_FEATURE_STRIDED | FC_FEATURE_DK_NE_DV | FC_FEATURE_LSE,
     1024, "", 0, "fp32", "", run_full},
    {"example-c-basic", "the same kernel declaring few features: f32 Q and O, causal masks, GQA, no LSE",
     FC_DTYPE_BIT(FC_DTYPE_F32), FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16), FC_DTYPE_BIT(FC_DTYPE_F32),
     FC_FEATURE_CAUSAL | FC_FEATURE_GQA, 128, NULL, 0, "fp32", NULL, run_basic},
};

static const fc_plugin plugin = {FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "flashcheck-example", "1.0",
                                 (int32_t)(sizeof subjects / sizeof subjects[0]), subjects, sizeof(fc_subject)};

FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  return host_abi_version == FC_PLUGIN_ABI_VERSION ? &plugin : NULL;
}
