#include "impls/opencl/fa_params.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "impls/opencl/fa_program.hpp"

namespace flashcheck::opencl {
namespace {

int32_t to_i32(int64_t x, const char* what) {
  if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max())
    throw std::invalid_argument(fmt::format("{} = {} does not fit the kernels' 32-bit int", what, x));
  return static_cast<int32_t>(x);
}

void copy_strides(const Tensor& t, int32_t* out, const char* what) {
  for (int d = 0; d < 4; ++d) out[d] = to_i32(t.strides[static_cast<size_t>(d)], what);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Mask kinds as fa_common.cl numbers them (FA_MASK_*); explicit-only is no structural mask.
int32_t mask_kind_code(MaskKind k) {
  constexpr std::pair<MaskKind, int32_t> kCodes[] = {
      {MaskKind::none, 0}, {MaskKind::explicit_only, 0}, {MaskKind::causal, 1}, {MaskKind::window, 2}};
  for (const auto& [kind, code] : kCodes)
    if (kind == k) return code;
  throw std::invalid_argument("unknown mask kind");
}

}  // namespace

OpenClParams make_params(const AttentionCase& c, int64_t decode_split_keys) {
  const CaseShape& s = c.shape;
  OpenClParams p{};
  p.batch = to_i32(s.batch, "batch");
  p.hq = to_i32(s.hq, "Hq");
  p.hkv = to_i32(s.hkv, "Hkv");
  p.lq = to_i32(s.lq, "Lq");
  p.lk = to_i32(s.lk, "Lk");
  p.gqa_ratio = to_i32(s.gqa_ratio(), "Hq/Hkv");
  p.dk = to_i32(s.dk, "Dk");
  p.dv = to_i32(s.dv, "Dv");
  p.q_type = static_cast<int32_t>(storage_code(c.q_type));
  p.o_type = static_cast<int32_t>(storage_code(c.o_type));
  p.k_type = static_cast<int32_t>(kv_storage_code(c.k_type, c.k_quant));
  p.v_type = static_cast<int32_t>(kv_storage_code(c.v_type, c.v_quant));
  copy_strides(c.q, p.q_stride, "Q stride");
  copy_strides(c.k, p.k_stride, "K stride");
  copy_strides(c.v, p.v_stride, "V stride");
  p.k_row_bytes = c.k_quant ? to_i32(c.k_quant->row_bytes, "K row bytes") : 0;
  p.v_row_bytes = c.v_quant ? to_i32(c.v_quant->row_bytes, "V row bytes") : 0;
  p.mask_kind = mask_kind_code(c.mask_kind);
  p.window = to_i32(c.window, "window");
  p.offset = to_i32(s.decode_offset(), "Lk - Lq");
  p.mask_type = static_cast<int32_t>(c.mask ? storage_code(c.mask->dtype) : StorageCode::none);
  p.mask_stride_i = c.mask ? to_i32(c.mask->strides[2], "mask stride") : 0;
  p.mask_stride_j = c.mask ? to_i32(c.mask->strides[3], "mask stride") : 0;
  p.has_alibi = c.uses_alibi() ? 1 : 0;
  p.has_sinks = c.has_sinks() ? 1 : 0;
  p.has_softcap = c.softcap > 0.0f ? 1 : 0;
  p.scale = c.scale;
  p.softcap = c.softcap;
  p.n_q_tiles = to_i32(ceil_div(s.lq, kBlockM), "query tiles");
  p.n_kv_tiles = to_i32(ceil_div(s.lk, kBlockN), "KV tiles");
  p.split_keys = to_i32(decode_split_keys, "decode split length");
  p.n_splits = to_i32(ceil_div(s.lk, decode_split_keys), "decode splits");
  return p;
}

}  // namespace flashcheck::opencl
