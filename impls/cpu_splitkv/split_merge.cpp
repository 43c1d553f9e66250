#include "impls/cpu_splitkv/split_merge.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace flashcheck::splitkv {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

void write_partial(const SoftmaxState& state, const std::vector<float>& acc, float* record) {
  record[0] = state.m;
  record[1] = state.l;
  float* o = record + 2;
  if (state.l == 0.0f) {  // nothing visible in the chunk: never divide 0 by 0
    std::fill(o, o + acc.size(), 0.0f);
    return;
  }
  for (size_t col = 0; col < acc.size(); ++col) o[col] = acc[col] / state.l;
}

float merge_partials(const float* records, int64_t count, int64_t dv, const float* sink, const MergeBugs& bugs,
                     float* o) {
  const int64_t stride = partial_record_floats(dv);
  const bool guard = !bugs.no_empty_guard;
  // A chunk that saw a key has l_i >= 1 (its maximum contributes exp(0)); l_i == 0 marks an empty one.
  auto enters = [&](const float* record) { return !guard || record[1] != 0.0f; };

  float m = kNegInf;
  for (int64_t i = 0; i < count; ++i)
    if (const float* rec = records + i * stride; enters(rec)) m = std::max(m, rec[0]);
  if (sink) m = std::max(m, *sink);
  if (guard && m == kNegInf) {  // no visible key in any chunk and no sink
    std::fill(o, o + dv, 0.0f);
    return kNegInf;
  }

  std::fill(o, o + dv, 0.0f);
  float sum = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    const float* rec = records + i * stride;
    if (!enters(rec)) continue;
    const float w = bugs.skip_rescale ? rec[1] : std::exp(rec[0] - m) * rec[1];
    sum += w;
    for (int64_t col = 0; col < dv; ++col) o[col] += w * rec[2 + col];
  }
  if (sink) sum += std::exp(*sink - m);
  for (int64_t col = 0; col < dv; ++col) o[col] /= sum;
  return m + std::log(sum);
}

}  // namespace flashcheck::splitkv
