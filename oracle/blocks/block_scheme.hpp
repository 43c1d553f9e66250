#pragma once
// Table of block quantization schemes: the five OCP MX element formats and ggml's
// q8_0, q4_0 and mxfp4. Every scheme quantizes a row (a multiple of 32 values) into
// Blocks and dequantizes them back; layouts (block_layout.hpp) turn Blocks into bytes.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "oracle/blocks/block.hpp"
#include "oracle/blocks/scale_rule.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::blocks {

enum class SchemeFamily : uint8_t { mx, ggml_q8_0, ggml_q4_0, ggml_mxfp4 };
enum class ScaleStorage : uint8_t { e8m0, fp16 };  // 1 byte, or 2 bytes little-endian

struct BlockScheme {
  std::string_view name;
  SchemeFamily family;
  std::string_view element;  // element format name (formats table); q8_0 / q4_0 hold integers
  int element_bits;          // 8, 6 or 4
  ScaleStorage scale;
  NibbleOrder nibbles;  // default order of 4-bit codes in bytes

  int scale_bytes() const { return scale == ScaleStorage::e8m0 ? 1 : 2; }
  int element_bytes() const { return kBlockSize * element_bits / 8; }
  int block_bytes() const { return scale_bytes() + element_bytes(); }
};

std::span<const BlockScheme> all_block_schemes();
// Throws std::invalid_argument listing the known names.
const BlockScheme& block_scheme(std::string_view name);

// Only MX schemes take a scale rule and an element policy (nullopt: the element's
// default_policy); ggml schemes have theirs built in and reject anything else.
struct MxOptions {
  ScaleRule rule = ScaleRule::ocp_floor;
  std::optional<formats::EncodePolicy> element_policy;
};

// x.size() must be a multiple of 32. ggml schemes need every value to be an f32.
std::vector<Block> quantize_row(const BlockScheme& s, std::span<const double> x, const MxOptions& o = {});
std::vector<double> dequantize_row(const BlockScheme& s, std::span<const Block> blocks);

}  // namespace flashcheck::blocks
