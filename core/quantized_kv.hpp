#pragma once
// K or V held block-quantized, as a quantized KV cache holds them: the bytes a kernel
// reads natively, and the unquantized values they came from (for the quantization
// error). The case's K / V tensors then hold the exactly dequantized values, which is
// what the oracle computes on.
//
// Byte layout of one row (everything a kernel author needs to read it):
// - A row is one token of one batch entry: `heads * dim` values, head-major (value
//   h * dim + d), cut into blocks of 32; block n covers values 32n .. 32n + 31.
// - AoS: block n at byte n * block_bytes, its scale first, then its element bytes.
//   SoA: the element bytes of every block (block n at n * element_bytes), then every
//   scale (block n at n_blocks * element_bytes + n * scale_bytes).
// - Scales: one E8M0 byte (MX schemes, ggml_mxfp4), or fp16 little-endian (q8_0, q4_0).
// - Elements: 8-bit codes one per byte (q8_0: int8). 4-bit codes two per byte: MX
//   schemes put element 2i in the low nibble of byte i and 2i+1 in the high one; ggml's
//   q4_0 and mxfp4 put element i low and i+16 high. 6-bit codes: four in three bytes,
//   code i in stream bits 6i..6i+5 least significant first, stream bit k being bit
//   k mod 8 of byte k / 8.
// - Hadamard (K only): each block of the source row was rotated by H / sqrt(32), H the
//   Sylvester-order 32x32 Hadamard matrix, before quantizing; a kernel reading such K
//   applies the same rotation to Q itself (the case keeps Q unrotated; see
//   AttentionCase::rotated_q for the rotated Q the oracle uses).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace flashcheck {

enum class KvRowLayout : uint8_t { aos, soa };
std::string_view kv_row_layout_name(KvRowLayout l);
std::optional<KvRowLayout> parse_kv_row_layout(std::string_view s);

// How a recipe asks for K or V to be stored.
struct KvQuantSpec {
  std::string scheme;  // one of kv_scheme_names()
  KvRowLayout layout = KvRowLayout::aos;
  bool hadamard = false;
};

struct QuantizedKv {
  std::string scheme;
  KvRowLayout layout = KvRowLayout::aos;
  bool hadamard = false;
  int64_t batch = 0, heads = 0, tokens = 0, dim = 0;
  int64_t row_bytes = 0;
  std::vector<uint8_t> bytes;  // rows [batch][token], row_bytes each
  Tensor source;               // [batch][heads][tokens][dim], f32, before rotation and quantization

  const uint8_t* row(int64_t b, int64_t token) const {
    return bytes.data() + (b * tokens + token) * row_bytes;
  }
};

// The block schemes a case may store K/V in.
std::vector<std::string> kv_scheme_names();
bool is_kv_scheme(std::string_view name);
// An OCP MX scheme: E8M0 scales in which 0xFF is NaN (not ggml_mxfp4, whose decoder differs).
bool is_mx_scale_scheme(std::string_view name);

// Quantizes `source` ([batch][heads][tokens][dim], any dtype and layout; dim a multiple
// of 32; every value finite and representable in f32) row by row, optionally rotating
// each row first. Returns the quantized rows and sets *dequantized to the exact
// dequantized values (contiguous f32; the rotated domain when hadamard). Throws
// std::invalid_argument naming the problem for an unknown scheme or a bad shape.
QuantizedKv quantize_kv(const Tensor& source, const KvQuantSpec& spec, Tensor* dequantized);

// Overwrites the scale byte of block `block` of row (b, token) (E8M0 schemes only; throws
// std::invalid_argument otherwise). The caller re-dequantizes.
void set_e8m0_scale_byte(QuantizedKv& q, int64_t b, int64_t token, int64_t block, uint8_t code);

// Exactly dequantizes the stored rows again (a consistency check for corpus files and
// tests): the contiguous f32 tensor quantize_kv produced.
Tensor dequantize_kv(const QuantizedKv& q);

// Q rotated block by block as a kernel must rotate it for Hadamard-rotated K: each
// row's exact rotation, evaluated in double and rounded to f32 (contiguous f32).
Tensor rotate_q_rows(const Tensor& q);

}  // namespace flashcheck
