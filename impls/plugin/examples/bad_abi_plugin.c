/* A plugin built for another ABI version: it ignores the host's version and describes
 * itself as version FC_PLUGIN_ABI_VERSION + 1, which flashcheck refuses (exit status 2)
 * with a message naming both versions. */
#include "flashcheck/backend.h"

static int run_nothing(const fc_case* c, fc_output* out) {
  (void)c;
  (void)out;
  return FC_STATUS_ERROR;
}

static const fc_subject subjects[] = {
    {"future-kernel", "a subject of a newer ABI", FC_DTYPE_BIT(FC_DTYPE_F32), FC_DTYPE_BIT(FC_DTYPE_F32),
     FC_DTYPE_BIT(FC_DTYPE_F32), 0, 128, "", 0, "fp32", "", run_nothing},
};

static const fc_plugin plugin = {FC_PLUGIN_ABI_VERSION + 1u, sizeof(fc_plugin), "flashcheck-bad-abi-example", "1.0",
                                 1, subjects, sizeof(fc_subject)};

FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
