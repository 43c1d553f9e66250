#pragma once
// The parameter block every flash-attention kernel takes by value: the host mirror of
// fa_params in kernels/fa_common.cl, field for field (only 4-byte members, so both
// sides lay it out identically).
#include <cstdint>

#include "core/attention_case.hpp"

namespace flashcheck::opencl {

struct OpenClParams {
  int32_t batch, hq, hkv, lq, lk, gqa_ratio, dk, dv;
  int32_t q_type, o_type;
  int32_t k_type, v_type;
  int32_t q_stride[4];
  int32_t k_stride[4];
  int32_t v_stride[4];
  int32_t k_row_bytes, v_row_bytes;
  int32_t mask_kind, window, offset;
  int32_t mask_type;
  int32_t mask_stride_i, mask_stride_j;
  int32_t has_alibi, has_sinks, has_softcap;
  float scale, softcap;
  int32_t n_q_tiles, n_kv_tiles;
  int32_t split_keys, n_splits;
};
static_assert(sizeof(OpenClParams) == 41 * 4, "must match fa_params in kernels/fa_common.cl");

// The block for a case; decode_split_keys sets the K-split length (and so n_splits).
// Throws std::invalid_argument when a size or stride does not fit the kernels' int, or
// for a K/V block scheme the kernels do not read.
OpenClParams make_params(const AttentionCase& c, int64_t decode_split_keys);

}  // namespace flashcheck::opencl
