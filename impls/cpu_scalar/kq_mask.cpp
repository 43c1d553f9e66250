#include "impls/cpu_scalar/kq_mask.hpp"

#include <cstdlib>

#include "impls/cpu_scalar/scalar_convert.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

KqMask::KqMask(const AttentionCase& c, Mutant mutant)
    : kind_(c.mask_kind),
      window_(c.window),
      lk_(c.shape.lk),
      offset_(c.shape.decode_offset()),
      causal_offset_(mutant == Mutant::causal_offset ? 0 : c.shape.decode_offset()),
      alibi_(c.uses_alibi()) {
  if (c.mask) explicit_.emplace(*c.mask);
}

bool KqMask::structurally_visible(int64_t i, int64_t j) const {
  const int64_t pos = i + causal_offset_;
  switch (kind_) {
    case MaskKind::none:
    case MaskKind::explicit_only: return true;
    case MaskKind::causal: return j <= pos;
    case MaskKind::window: return j <= pos && pos - j < window_;
  }
  return true;
}

void KqMask::build_row(int64_t i, float* out) const {
  if (explicit_) {
    explicit_->read(0, 0, i, out);
  } else {
    for (int64_t j = 0; j < lk_; ++j) out[j] = 0.0f;
  }
  for (int64_t j = 0; j < lk_; ++j) {
    if (!structurally_visible(i, j) || !key_visible(out[j])) {
      out[j] = minus_infinity();
      continue;
    }
    if (alibi_) out[j] -= static_cast<float>(std::llabs(i + offset_ - j));
  }
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
