// Prefill: one work-group per (batch * head, tile of FA_BLOCK_M query rows), one
// work-item per query row. KV tiles of FA_BLOCK_N keys are decoded cooperatively into
// local memory; each row keeps its online-softmax state (max m, sum l, accumulator)
// in fp32 registers and rescales once per tile.
//
// Global size (n_q_tiles * FA_BLOCK_M, batch * hq), local size (FA_BLOCK_M, 1);
// k_tile holds FA_BLOCK_N * dk floats, v_tile FA_BLOCK_N * dv.

// Decodes KV tile rows [j0, j0 + nj) of head kvh into local memory.
inline void fa_load_kv_tile(__global const uchar* k, __global const uchar* v, const fa_params* p, int b, int kvh,
                            int j0, int nj, __local float* k_tile, __local float* v_tile) {
  const int lid = (int)get_local_id(0);
  const int dk = p->dk, dv = p->dv;
  for (int e = lid; e < nj * dk; e += FA_BLOCK_M) k_tile[e] = fa_load_k(k, p, b, kvh, j0 + e / dk, e % dk);
  for (int e = lid; e < nj * dv; e += FA_BLOCK_M) v_tile[e] = fa_load_v(v, p, b, kvh, j0 + e / dv, e % dv);
}

__kernel __attribute__((reqd_work_group_size(FA_BLOCK_M, 1, 1))) void fa_prefill(
    __global const uchar* q, __global const uchar* k, __global const uchar* v, __global const uchar* mask,
    __global const float* slopes, __global const float* sinks, __global const uchar* tile_class,
    __global uchar* o, __global uint* lse_bits, __local float* k_tile, __local float* v_tile, const fa_params p) {
  const int lid = (int)get_local_id(0);
  const int qt = (int)get_group_id(0);
  const int bh = (int)get_group_id(1);
  const int b = bh / p.hq, h = bh % p.hq;
  const int kvh = h / p.gqa_ratio;
  const int i = qt * FA_BLOCK_M + lid;
  const bool row_ok = i < p.lq;
  const int dk = p.dk, dv = p.dv;
  const float slope = slopes[h];

  float qv[FA_MAX_D];
  float acc[FA_MAX_D];
  for (int d = 0; d < dk; ++d) qv[d] = row_ok ? fa_load_q(q, &p, b, h, i, d) : 0.0f;
  for (int d = 0; d < dv; ++d) acc[d] = 0.0f;
  float m = FA_M_INIT;  // running max score
  float l = 0.0f;       // running sum of exp(score - m)

  for (int t = 0; t < p.n_kv_tiles; ++t) {
    const uchar cls = tile_class[qt * p.n_kv_tiles + t];
    if (cls == FA_TILE_MASKED) continue;  // the same for the whole work-group
    const int j0 = t * FA_BLOCK_N;
    const int nj = min(FA_BLOCK_N, p.lk - j0);
    barrier(CLK_LOCAL_MEM_FENCE);  // the previous tile is no longer read
    fa_load_kv_tile(k, v, &p, b, kvh, j0, nj, k_tile, v_tile);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!row_ok) continue;

    float s[FA_BLOCK_N];
    float tile_max = FA_M_INIT;
    for (int jj = 0; jj < nj; ++jj) {
      const int j = j0 + jj;
      float bias = 0.0f;
      // Hidden keys never enter the arithmetic: their storage may hold inf or NaN.
      if (cls == FA_TILE_MIXED && fa_hidden(&p, mask, i, j, &bias)) {
        s[jj] = FA_M_INIT;
        continue;
      }
      float dot = 0.0f;
      for (int d = 0; d < dk; ++d) dot += qv[d] * k_tile[jj * dk + d];
      s[jj] = fa_score(&p, dot, bias, slope, i, j);
      tile_max = fmax(tile_max, s[jj]);
    }

    const float m_new = fmax(m, tile_max);
    const float alpha = FA_IS_EMPTY(m) ? 0.0f : exp(m - m_new);  // 1 when the max did not move
    l *= alpha;
    for (int d = 0; d < dv; ++d) acc[d] *= alpha;
    for (int jj = 0; jj < nj; ++jj) {
      if (FA_IS_EMPTY(s[jj])) continue;
      const float pj = exp(s[jj] - m_new);
      l += pj;
      for (int d = 0; d < dv; ++d) acc[d] += pj * v_tile[jj * dv + d];
    }
    m = m_new;
  }

  if (!row_ok) return;
  float alpha = 1.0f;
  if (p.has_sinks) alpha = fa_fold_sink(&m, &l, sinks[h]);
  const long row = ((long)b * p.hq + h) * p.lq + i;
  for (int d = 0; d < dv; ++d) fa_store_row_value(o, p.o_type, row * dv + d, acc[d], alpha, m, l);
  fa_store_row_lse(lse_bits, row, m, l);
}
