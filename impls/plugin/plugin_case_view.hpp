#pragma once
// Running one subject of a loaded plugin on a case, in the worker: the fc_case views
// point into the decoded AttentionCase (no copies but the materialized mask), and the
// output buffers are the worker's own.
#include <string>
#include <vector>

#include "core/attention_case.hpp"
#include "flashcheck/backend.h"
#include "impls/plugin/plugin_wire.hpp"

namespace flashcheck::plugin {

struct SubjectRun {
  wire::Reply status = wire::Reply::failure;
  std::string message;     // the plugin's error or unsupported reason
  Tensor o;                // [batch][hq][lq][dv], contiguous, in the case's o_type
  std::vector<float> lse;  // [batch][hq][lq]; NaN where the plugin wrote nothing
};

// fills_lse: the subject declared FC_FEATURE_LSE (otherwise the LSE comes back empty).
SubjectRun run_subject(const fc_subject& s, bool fills_lse, const AttentionCase& c, int32_t n_threads);

}  // namespace flashcheck::plugin
