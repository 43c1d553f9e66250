#pragma once
// The additive KQ mask a ggml graph hands flash_attn_ext, built on the host side as
// llama.cpp does: -inf where a key is hidden (causal / window / explicit -inf), else the
// explicit mask value plus the ALiBi distance -|pos_i - j|. The kernel multiplies it by
// the head's slope (ggml: s += slope * mask).
#include <cstdint>

#include "core/attention_case.hpp"
#include "impls/cpu_scalar/build_namespace.hpp"
#include "impls/cpu_scalar/kv_row_reader.hpp"
#include "impls/cpu_scalar/scalar_convert.hpp"
#include "impls/cpu_scalar/mutants.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

class KqMask {
 public:
  KqMask(const AttentionCase& c, Mutant mutant);
  // Row i of the mask: lk values.
  void build_row(int64_t i, float* out) const;

 private:
  bool structurally_visible(int64_t i, int64_t j) const;

  MaskKind kind_;
  int64_t window_;
  int64_t lk_;
  int64_t offset_;         // absolute position of query 0 (Lk - Lq)
  int64_t causal_offset_;  // the offset the visibility test uses
  bool alibi_;
  std::optional<StorageRows> explicit_;
};

// Whether a mask value lets its key through: hidden keys carry -inf, tested on its bits.
inline bool key_visible(float mask_value) { return !is_minus_infinity(mask_value); }

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
