/* A plugin whose subjects misbehave on purpose, to show (and test) that a broken kernel
 * costs one verdict, never the run. Each runs the correct example kernel except:
 *   crash-segv   writes through a NULL pointer when lq > 32   -> "crashed (signal 11, SIGSEGV)"
 *   crash-abort  calls abort() when lk > 8                    -> "crashed (signal 6, SIGABRT)"
 *   crash-hang   loops forever on causal cases                -> "timed out after N s"
 *   fail-error   returns FC_STATUS_ERROR, naming the n_threads it was sent */
#include <stdio.h>
#include <stdlib.h>

#include "example_kernel.h"

#define ALL_FEATURES                                                                                                 \
  (FC_FEATURE_CAUSAL | FC_FEATURE_WINDOW | FC_FEATURE_EXPLICIT_MASK | FC_FEATURE_ALIBI | FC_FEATURE_SOFTCAP |        \
   FC_FEATURE_SINKS | FC_FEATURE_GQA | FC_FEATURE_STRIDED | FC_FEATURE_DK_NE_DV | FC_FEATURE_LSE)
#define ALL_DTYPES (FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16) | FC_DTYPE_BIT(FC_DTYPE_BF16))

static int run_segv(const fc_case* c, fc_output* out) {
  if (c->lq > 32) {
    volatile float* nowhere = NULL;
    *nowhere = 1.0f;
  }
  return example_attention(c, out, 1);
}

static int run_abort(const fc_case* c, fc_output* out) {
  if (c->lk > 8) abort();
  return example_attention(c, out, 1);
}

static int run_hang(const fc_case* c, fc_output* out) {
  volatile int spinning = 1;
  if (c->mask_kind == FC_MASK_CAUSAL)
    while (spinning) {
    }
  return example_attention(c, out, 1);
}

static int run_error(const fc_case* c, fc_output* out) {
  char message[96];
  snprintf(message, sizeof message, "refused on purpose (n_threads = %d)", (int)c->n_threads);
  example_set_error(out, message);
  return FC_STATUS_ERROR;
}

static const fc_subject subjects[] = {
    {"crash-segv", "segfaults when lq > 32", ALL_DTYPES, ALL_DTYPES, ALL_DTYPES, ALL_FEATURES, 1024, "", 0, "fp32", "",
     run_segv},
    {"crash-abort", "calls abort() when lk > 8", ALL_DTYPES, ALL_DTYPES, ALL_DTYPES, ALL_FEATURES, 1024, "", 0, "fp32",
     "", run_abort},
    {"crash-hang", "never returns on causal cases", ALL_DTYPES, ALL_DTYPES, ALL_DTYPES, ALL_FEATURES, 1024, "", 0,
     "fp32", "", run_hang},
    {"fail-error", "returns FC_STATUS_ERROR on every case", ALL_DTYPES, ALL_DTYPES, ALL_DTYPES, ALL_FEATURES, 1024, "",
     0, "fp32", "", run_error},
};

static const fc_plugin plugin = {FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "flashcheck-crashing-example", "1.0",
                                 (int32_t)(sizeof subjects / sizeof subjects[0]), subjects, sizeof(fc_subject)};

FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  return host_abi_version == FC_PLUGIN_ABI_VERSION ? &plugin : NULL;
}
