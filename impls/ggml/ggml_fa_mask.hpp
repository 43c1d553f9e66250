#pragma once
// The KQ mask ggml_flash_attn_ext takes, built from a case's materialized bias as
// llama.cpp builds its own: f16, [lq][lk] rows, -inf for hidden keys, the ALiBi
// distance -|i + lk - lq - j| (ggml multiplies the whole mask by the head's slope).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ggml.h"

namespace flashcheck::ggml_subject {

struct F16Mask {
  std::vector<ggml_fp16_t> values;  // [lq][lk], row-major
};

// nullopt with *why_not empty: no mask is needed (every bias 0 and no ALiBi); nullopt
// with *why_not set: a bias value has no exact f16 (ggml's mask type), so ggml cannot
// express the case. bias holds lq * lk values.
std::optional<F16Mask> f16_mask_from_bias(const float* bias, int64_t lq, int64_t lk, bool alibi,
                                          std::string* why_not);

}  // namespace flashcheck::ggml_subject
