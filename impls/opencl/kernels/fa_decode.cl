// Single-query decode (Lq = 1). A work-group of FA_DECODE_WG work-items shares one
// query row: work-item t takes keys t, t + FA_DECODE_WG, ... of its key range with its
// own online-softmax state, then the work-group merges the states in local memory.
//
// fa_decode_q1      one work-group per (batch, head) covers every key and writes O, LSE.
// fa_decode_split   flash-decoding K-split: one work-group per (batch, head, split of
//                   p.split_keys keys) writes a partial (max, sum, unnormalised acc).
// fa_decode_merge   one work-group per (batch, head) combines the partials.
//
// Local arguments: red_acc holds FA_DECODE_WG * dv floats, col_acc dv floats.

// Online softmax over this work-item's keys of [j_begin, j_end).
inline void fa_decode_keys(__global const uchar* k, __global const uchar* v, __global const uchar* mask,
                           const fa_params* p, int b, int kvh, float slope, const float* qv, int j_begin,
                           int j_end, float* m, float* l, float* acc) {
  const int dk = p->dk, dv = p->dv;
  for (int j = j_begin + (int)get_local_id(0); j < j_end; j += FA_DECODE_WG) {
    float bias = 0.0f;
    float s = FA_M_INIT;
    if (!fa_hidden(p, mask, 0, j, &bias)) {  // hidden keys are never read: they may hold inf or NaN
      float dot = 0.0f;
      for (int d = 0; d < dk; ++d) dot += qv[d] * fa_load_k(k, p, b, kvh, j, d);
      s = fa_score(p, dot, bias, slope, 0, j);
    }
    if (FA_IS_EMPTY(s)) continue;
    const float m_new = fmax(*m, s);
    const float alpha = FA_IS_EMPTY(*m) ? 0.0f : exp(*m - m_new);
    const float pj = exp(s - m_new);
    for (int d = 0; d < dv; ++d) acc[d] = acc[d] * alpha + pj * fa_load_v(v, p, b, kvh, j, d);
    *l = *l * alpha + pj;
    *m = m_new;
  }
}

// Merges the work-group's states into the common max (returned) and sum (*l_out);
// column d of red_acc then holds the accumulators rescaled to that max.
inline float fa_reduce_states(const fa_params* p, float m, float l, const float* acc, __local float* red_m,
                              __local float* red_l, __local float* red_acc, float* l_out) {
  const int lid = (int)get_local_id(0);
  const int dv = p->dv;
  red_m[lid] = m;
  barrier(CLK_LOCAL_MEM_FENCE);
  float big_m = FA_M_INIT;
  for (int t = 0; t < FA_DECODE_WG; ++t) big_m = fmax(big_m, red_m[t]);
  const float w = FA_IS_EMPTY(m) ? 0.0f : exp(m - big_m);
  red_l[lid] = l * w;
  for (int d = 0; d < dv; ++d) red_acc[lid * dv + d] = acc[d] * w;
  barrier(CLK_LOCAL_MEM_FENCE);
  float big_l = 0.0f;
  for (int t = 0; t < FA_DECODE_WG; ++t) big_l += red_l[t];
  *l_out = big_l;
  return big_m;
}

inline float fa_column_sum(__local const float* red_acc, int dv, int d) {
  float sum = 0.0f;
  for (int t = 0; t < FA_DECODE_WG; ++t) sum += red_acc[t * dv + d];
  return sum;
}

// Writes the finished row of (b, h): sink folded in, O columns split over the work-group.
inline void fa_decode_finish(__global uchar* o, __global uint* lse_bits, __global const float* sinks,
                             const fa_params* p, int bh, float m, float l, __local const float* col_acc) {
  float alpha = 1.0f;
  if (p->has_sinks) alpha = fa_fold_sink(&m, &l, sinks[bh % p->hq]);
  const int lid = (int)get_local_id(0);
  for (int d = lid; d < p->dv; d += FA_DECODE_WG)
    fa_store_row_value(o, p->o_type, (long)bh * p->dv + d, col_acc[d], alpha, m, l);
  if (lid == 0) fa_store_row_lse(lse_bits, bh, m, l);
}

inline void fa_decode_load_q(__global const uchar* q, const fa_params* p, int b, int h, float* qv) {
  for (int d = 0; d < p->dk; ++d) qv[d] = fa_load_q(q, p, b, h, 0, d);
}

__kernel __attribute__((reqd_work_group_size(FA_DECODE_WG, 1, 1))) void fa_decode_q1(
    __global const uchar* q, __global const uchar* k, __global const uchar* v, __global const uchar* mask,
    __global const float* slopes, __global const float* sinks, __global uchar* o, __global uint* lse_bits,
    __local float* red_acc, __local float* col_acc, const fa_params p) {
  __local float red_m[FA_DECODE_WG], red_l[FA_DECODE_WG];
  const int bh = (int)get_group_id(1);
  const int b = bh / p.hq, h = bh % p.hq;

  float qv[FA_MAX_D], acc[FA_MAX_D];
  fa_decode_load_q(q, &p, b, h, qv);
  for (int d = 0; d < p.dv; ++d) acc[d] = 0.0f;
  float m = FA_M_INIT, l = 0.0f;
  fa_decode_keys(k, v, mask, &p, b, h / p.gqa_ratio, slopes[h], qv, 0, p.lk, &m, &l, acc);

  float big_l;
  const float big_m = fa_reduce_states(&p, m, l, acc, red_m, red_l, red_acc, &big_l);
  for (int d = (int)get_local_id(0); d < p.dv; d += FA_DECODE_WG) col_acc[d] = fa_column_sum(red_acc, p.dv, d);
  barrier(CLK_LOCAL_MEM_FENCE);
  fa_decode_finish(o, lse_bits, sinks, &p, bh, big_m, big_l, col_acc);
}

// Partials: part_m / part_l [bh][split], part_acc [bh][split][dv].
__kernel __attribute__((reqd_work_group_size(FA_DECODE_WG, 1, 1))) void fa_decode_split(
    __global const uchar* q, __global const uchar* k, __global const uchar* v, __global const uchar* mask,
    __global const float* slopes, __global float* part_m, __global float* part_l, __global float* part_acc,
    __local float* red_acc, const fa_params p) {
  __local float red_m[FA_DECODE_WG], red_l[FA_DECODE_WG];
  const int split = (int)get_group_id(0);
  const int bh = (int)get_group_id(1);
  const int b = bh / p.hq, h = bh % p.hq;
  const int j_begin = split * p.split_keys;
  const int j_end = min(j_begin + p.split_keys, p.lk);

  float qv[FA_MAX_D], acc[FA_MAX_D];
  fa_decode_load_q(q, &p, b, h, qv);
  for (int d = 0; d < p.dv; ++d) acc[d] = 0.0f;
  float m = FA_M_INIT, l = 0.0f;
  fa_decode_keys(k, v, mask, &p, b, h / p.gqa_ratio, slopes[h], qv, j_begin, j_end, &m, &l, acc);

  float big_l;
  const float big_m = fa_reduce_states(&p, m, l, acc, red_m, red_l, red_acc, &big_l);
  const long part = (long)bh * p.n_splits + split;
  for (int d = (int)get_local_id(0); d < p.dv; d += FA_DECODE_WG)
    part_acc[part * p.dv + d] = fa_column_sum(red_acc, p.dv, d);
  if (get_local_id(0) == 0) {
    part_m[part] = big_m;  // FA_M_INIT when the split saw no visible key
    part_l[part] = big_l;
  }
}

__kernel __attribute__((reqd_work_group_size(FA_DECODE_WG, 1, 1))) void fa_decode_merge(
    __global const float* part_m, __global const float* part_l, __global const float* part_acc,
    __global const float* sinks, __global uchar* o, __global uint* lse_bits, __local float* col_acc,
    const fa_params p) {
  const int bh = (int)get_group_id(1);
  const long first = (long)bh * p.n_splits;

  float big_m = FA_M_INIT;
  for (int s = 0; s < p.n_splits; ++s) big_m = fmax(big_m, part_m[first + s]);
  float big_l = 0.0f;
  for (int s = 0; s < p.n_splits; ++s) {
    const float ms = part_m[first + s];
    if (!FA_IS_EMPTY(ms)) big_l += part_l[first + s] * exp(ms - big_m);
  }
  for (int d = (int)get_local_id(0); d < p.dv; d += FA_DECODE_WG) {
    float sum = 0.0f;
    for (int s = 0; s < p.n_splits; ++s) {
      const float ms = part_m[first + s];
      if (!FA_IS_EMPTY(ms)) sum += part_acc[(first + s) * p.dv + d] * exp(ms - big_m);
    }
    col_acc[d] = sum;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  fa_decode_finish(o, lse_bits, sinks, &p, bh, big_m, big_l, col_acc);
}
