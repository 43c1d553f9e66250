#pragma once
// One query row's share of the work: its scores against a range of keys (scale,
// soft-capping, structural and explicit mask, ALiBi) folded into an online softmax
// in fp32. Both the single-pass and the split-KV kernels are built from it, over
// K/V rows found through KvRows (strided tensor or paged cache).
#include <cstdint>
#include <vector>

#include "core/attention_case.hpp"
#include "impls/cpu_splitkv/kv_rows.hpp"
#include "impls/cpu_splitkv/storage_codec.hpp"

namespace flashcheck::splitkv {

// Per-thread working rows: decoded Q, K and V rows and the fp32 numerator.
struct Scratch {
  std::vector<float> q, k, v, acc;
  explicit Scratch(const CaseShape& s);
};

struct QueryRow {
  int64_t batch, head, index, kv_head;
  int64_t position;  // absolute position of the query: index + (Lk - Lq)
  float slope;       // ALiBi slope of the head (1 without ALiBi)
};

struct KeyRange {
  int64_t begin, end;  // [begin, end)
  bool empty() const { return end <= begin; }
};

// Online-softmax state: running maximum m, denominator l relative to exp(m); the
// numerator (Dv values, relative to exp(m)) lives in Scratch::acc.
struct SoftmaxState {
  float m;
  float l;
};
SoftmaxState empty_softmax_state();

class RowAttention {
 public:
  // k and v must outlive this object; c too.
  RowAttention(const AttentionCase& c, const KvRows& k, const KvRows& v);

  // Row `row` of the flattened [batch][hq][lq] space.
  QueryRow query_row(int64_t row) const;
  // Decodes the row's Q into w.q.
  void load_query(const QueryRow& r, Scratch& w) const;
  // Keys the structural mask (causal / window) leaves to the query; other keys are never read.
  KeyRange structural_keys(const QueryRow& r) const;
  // Folds the visible keys of `keys` into state and w.acc (which the caller initialises).
  void accumulate(const QueryRow& r, KeyRange keys, Scratch& w, SoftmaxState& state) const;
  // The head's sink joins the denominator only (it has no value row); no-op without sinks.
  void fold_sink(const QueryRow& r, Scratch& w, SoftmaxState& state) const;

 private:
  // Additive bias of key j before the slope: the explicit mask value (may be -inf) and the ALiBi distance.
  float bias(const QueryRow& r, int64_t j) const;

  const AttentionCase& c_;
  const KvRows& k_;
  const KvRows& v_;
  StridedRows q_;
  RowDecoder decode_q_, decode_k_, decode_v_;
  std::vector<float> slopes_;
};

// O = acc / l into o (which may be acc itself) and LSE = m + log(l); a row with
// nothing in its denominator gives O = 0 and LSE = -inf. Returns the LSE.
float finish_row(const SoftmaxState& state, const std::vector<float>& acc, float* o);

}  // namespace flashcheck::splitkv
