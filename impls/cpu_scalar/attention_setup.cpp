#include "impls/cpu_scalar/attention_setup.hpp"

#include <cmath>
#include <cstring>

#include "impls/cpu_scalar/hadamard32.hpp"
#include "impls/cpu_scalar/scalar_convert.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

AttentionSetup::AttentionSetup(const AttentionCase& c, Mutant mutant)
    : shape_(c.shape),
      q_(c.q),
      k_(c.k, c.k_quant, mutant),
      v_(c.v, c.v_quant, mutant),
      mask_(c, mutant),
      slopes_(static_cast<size_t>(c.shape.hq)),
      sinks_(c.sinks),
      scale_kq_(c.softcap > 0.0f ? c.scale / c.softcap : c.scale),
      softcap_(c.softcap),
      rotate_q_(c.k_quant && c.k_quant->hadamard),
      gqa_modulo_(mutant == Mutant::gqa_head_modulo) {
  for (int64_t h = 0; h < c.shape.hq; ++h) slopes_[static_cast<size_t>(h)] = c.slope(h);
}

void AttentionSetup::load_q(int64_t b, int64_t h, int64_t i, float* out) const {
  q_.read(b, h, i, out);
  if (rotate_q_) rotate_blocks32(out, shape_.dk);
}

OutputRows::OutputRows(const AttentionCase& c) : shape_(c.shape) {
  out_.o = Tensor::make(c.o_type, {c.shape.batch, c.shape.hq, c.shape.lq, c.shape.dv});
  out_.lse.assign(static_cast<size_t>(c.shape.batch * c.shape.hq * c.shape.lq), 0.0f);
}

void OutputRows::store(int64_t b, int64_t h, int64_t i, const float* row, float lse) {
  std::byte* dst = out_.o.data() + out_.o.offset(b, h, i, 0) * static_cast<int64_t>(traits(out_.o.dtype).size);
  const int64_t dv = shape_.dv;
  switch (out_.o.dtype) {
    case DType::f32: std::memcpy(dst, row, static_cast<size_t>(dv) * sizeof(float)); break;
    case DType::f16:
      for (int64_t d = 0; d < dv; ++d) {
        const uint16_t bits = f32_to_f16(row[d]);
        std::memcpy(dst + 2 * d, &bits, sizeof bits);
      }
      break;
    case DType::bf16:
      for (int64_t d = 0; d < dv; ++d) {
        const uint16_t bits = f32_to_bf16(row[d]);
        std::memcpy(dst + 2 * d, &bits, sizeof bits);
      }
      break;
  }
  out_.lse[static_cast<size_t>((b * shape_.hq + h) * shape_.lq + i)] = lse;
}

void finish_row(float m, float s, float* acc, int64_t dv, float* lse) {
  if (s == 0.0f) {  // no visible key and no sink
    for (int64_t d = 0; d < dv; ++d) acc[d] = 0.0f;
    *lse = minus_infinity();
    return;
  }
  const float s_inv = 1.0f / s;  // ggml: V /= S as a multiply by 1/S
  for (int64_t d = 0; d < dv; ++d) acc[d] *= s_inv;
  *lse = m + std::log(s);
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
