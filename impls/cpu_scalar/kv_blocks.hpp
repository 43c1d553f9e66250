#pragma once
// The kernel's own view of quantized K/V blocks (the byte layout is documented in
// core/quantized_kv.hpp): a table of block schemes, per-scheme element value tables,
// and the addressing of one head's blocks inside a token row (AoS or SoA).
#include <array>
#include <cstdint>
#include <string_view>

#include "core/quantized_kv.hpp"
#include "impls/cpu_scalar/build_namespace.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {

inline constexpr int kBlockSize = 32;

// Low-bit float element formats (OCP MX): sign, exponent and mantissa fields.
struct ElementFormat {
  std::string_view name;
  int bits, exp_bits, mant_bits, bias;
  float max_finite;
  bool all_ones_nan;  // E4M3: S.1111.111 is NaN, no infinity
  bool ieee_specials;  // E5M2: exponent all ones is inf (mantissa 0) or NaN
};

enum class ElementKind : uint8_t { mx_float, ggml_int8, ggml_uint4, ggml_mxfp4 };
// e8m0_ocp: 2^(e - 127), 0xFF NaN. e8m0_ggml_half: ggml's GGML_E8M0_TO_FP32_HALF, 2^(e - 128)
// (paired with element values twice E2M1). fp16: the scale's f16 bits, little-endian.
enum class ScaleKind : uint8_t { e8m0_ocp, e8m0_ggml_half, fp16 };
enum class NibbleOrder : uint8_t { adjacent, split_halves };

struct BlockScheme {
  std::string_view name;
  ElementKind element;
  const ElementFormat* format;  // the float element format (mx_float, ggml_mxfp4)
  int element_bits;
  ScaleKind scale;
  NibbleOrder nibbles;
  int scale_bytes() const { return scale == ScaleKind::fp16 ? 2 : 1; }
  int element_bytes() const { return kBlockSize * element_bits / 8; }
  int block_bytes() const { return scale_bytes() + element_bytes(); }
};

// nullptr when no scheme has that name.
const BlockScheme* find_block_scheme(std::string_view name);

// The value of every code of the scheme's elements (2^element_bits entries used).
const std::array<float, 256>& element_values(const BlockScheme& s);
float scale_value(const BlockScheme& s, const uint8_t* scale_bytes);

// The 32 codes of one block's element bytes.
void unpack_codes(const BlockScheme& s, const uint8_t* elements, NibbleOrder nibbles, uint8_t* codes);
// The other order of 4-bit codes (what a reader with swapped nibbles uses).
NibbleOrder other_order(NibbleOrder o);

// Where block n of a row of n_blocks blocks keeps its scale and its element bytes.
struct BlockAddress {
  int64_t scale_at, elements_at;
};
BlockAddress block_address(const BlockScheme& s, KvRowLayout layout, int64_t n_blocks, int64_t n);

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
