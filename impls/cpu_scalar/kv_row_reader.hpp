#pragma once
// Reading one head's row of Q, K or V into f32 the way a CPU kernel does: from raw
// strided f32/f16/bf16 storage, or by dequantizing the blocks of a quantized cache row.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/attention_case.hpp"
#include "impls/cpu_scalar/build_namespace.hpp"
#include "impls/cpu_scalar/kv_blocks.hpp"
#include "impls/cpu_scalar/mutants.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

// Rows [i0][i1][i2][*] of a tensor in its storage dtype, any element strides.
class StorageRows {
 public:
  explicit StorageRows(const Tensor& t);
  void read(int64_t i0, int64_t i1, int64_t i2, float* out) const;
  int64_t length() const { return length_; }

 private:
  using Decoder = void (*)(const std::byte* first, int64_t stride, int64_t n, float* out);
  const std::byte* base_;
  Dims strides_;
  int64_t length_;
  int64_t element_size_;
  Decoder decode_;
};

// Rows [b][head][token][*] of a quantized cache: token rows of every head's blocks.
class QuantizedRows {
 public:
  // Throws std::invalid_argument for a scheme this kernel does not know.
  QuantizedRows(const QuantizedKv& q, Mutant mutant);
  void read(int64_t b, int64_t head, int64_t token, float* out) const;
  int64_t length() const { return q_.dim; }

 private:
  const QuantizedKv& q_;
  const BlockScheme& scheme_;
  const std::array<float, 256>& values_;
  int64_t n_blocks_;         // blocks in a token row (every head)
  int64_t blocks_per_head_;
  NibbleOrder nibbles_;
  bool soa_head_offset_twice_;
  bool e8m0_ff_as_inf_;
};

// K or V of a case: the quantized bytes when the case has them, else the storage tensor.
class KvRows {
 public:
  KvRows(const Tensor& plain, const std::optional<QuantizedKv>& quantized, Mutant mutant);
  void read(int64_t b, int64_t head, int64_t token, float* out) const {
    if (quantized_) quantized_->read(b, head, token, out);
    else plain_.read(b, head, token, out);
  }

 private:
  StorageRows plain_;
  std::optional<QuantizedRows> quantized_;
};

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
