#pragma once
// Flash-decoding's two passes meet here. The split pass writes one record per
// (query row, KV chunk), as vLLM's paged_attention_v2 does (max_logits, exp_sums,
// tmp_out):
//   [0]        m_i  the chunk's maximum score (-inf for a chunk with no visible key)
//   [1]        l_i  its softmax denominator relative to exp(m_i) (0 for an empty chunk)
//   [2..2+Dv)  O_i  its output normalised by l_i (0 for an empty chunk)
// The merge pass combines a row's records:
//   m = max m_i,  w_i = exp(m_i - m) l_i,  O = sum w_i O_i / sum w_i,  LSE = m + log(sum w_i)
// skipping empty chunks; the head's sink enters once, as a term exp(S - m) of the
// denominator with no value.
#include <cstdint>
#include <vector>

#include "impls/cpu_splitkv/row_attention.hpp"

namespace flashcheck::splitkv {

constexpr int64_t partial_record_floats(int64_t dv) { return dv + 2; }

// Writes the record of a chunk whose online softmax ended in (state, acc).
void write_partial(const SoftmaxState& state, const std::vector<float>& acc, float* record);

// Seeded merge bugs (mutants), off in the correct kernel.
struct MergeBugs {
  bool skip_rescale = false;    // weights w_i = l_i: partials with different maxima mixed as if equal
  bool no_empty_guard = false;  // empty chunks (m_i = -inf) enter; a row with no finite m gets exp(-inf - -inf)
};

// Merges `count` records (Dv = dv) into o (dv values) and returns the LSE. sink is null
// without sinks. A row with no visible key and no sink gives O = 0 and LSE = -inf.
float merge_partials(const float* records, int64_t count, int64_t dv, const float* sink, const MergeBugs& bugs,
                     float* o);

}  // namespace flashcheck::splitkv
