// Prefill prepass: classifies every (query tile, KV tile) pair from the mask, so the
// attention kernel skips fully masked tiles and the per-element mask reads of unmasked
// ones. The mask ([Lq][Lk], structural plus explicit) is shared by every batch entry
// and head, so one classification serves them all.
//
// Global size (n_kv_tiles, n_q_tiles): one work-item per tile pair.
__kernel void fa_classify_tiles(__global const uchar* mask, const fa_params p, __global uchar* tile_class) {
  const int t = (int)get_global_id(0);
  const int qt = (int)get_global_id(1);
  if (t >= p.n_kv_tiles || qt >= p.n_q_tiles) return;

  const int i0 = qt * FA_BLOCK_M;
  const int i1 = min(i0 + FA_BLOCK_M, p.lq);
  const int j0 = t * FA_BLOCK_N;
#ifdef FA_MUTANT_TILE_CLASS_OFF_BY_ONE
  const int j1 = min(j0 + FA_BLOCK_N, p.lk) - 1;  // the tile's last key taken as an exclusive end
#else
  const int j1 = min(j0 + FA_BLOCK_N, p.lk);
#endif

  int hidden = 0, biased = 0;
  for (int i = i0; i < i1; ++i)
    for (int j = j0; j < j1; ++j) {
      float bias;
      if (fa_hidden(&p, mask, i, j, &bias))
        ++hidden;
      else if (bias != 0.0f)
        ++biased;
    }
  const int total = (i1 - i0) * (j1 - j0);
  uchar cls = FA_TILE_UNMASKED;
  if (hidden == total)
    cls = FA_TILE_MASKED;
  else if (hidden > 0 || biased > 0)
    cls = FA_TILE_MIXED;
  tile_class[qt * p.n_kv_tiles + t] = cls;
}
