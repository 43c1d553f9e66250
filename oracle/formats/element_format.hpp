#pragma once
// Low-bit element formats (OCP Microscaling v1.0 element and scale types) described
// by one trait table, as ggml's type_traits: every codec reads its behaviour from a
// row here, never from a per-format branch. fp16 and bf16 are 16-bit storage types
// and live in core/dtype.hpp; this table holds the formats whose codes fit a byte.
#include <cstdint>
#include <span>
#include <string_view>

#include "core/binary_format.hpp"

namespace flashcheck::formats {

// Which codes hold NaN (and, for `ieee`, infinity).
enum class NanEncoding : uint8_t {
  none,               // every code is a finite number (FP6, FP4)
  ieee,               // exponent all ones: mantissa 0 = inf, otherwise NaN (E5M2)
  all_ones_mantissa,  // exponent and mantissa all ones = NaN, no inf (E4M3 "fn")
  single_code,        // exactly one code is NaN (E8M0: 0xFF)
};

struct ElementFormat {
  std::string_view name;
  int bits;       // code width, sign included
  int exp_bits;
  int mant_bits;  // stored mantissa bits (precision = mant_bits + 1)
  int bias;
  bool is_signed;       // top bit is a sign bit
  bool has_subnormals;  // exponent field 0 holds subnormals (E8M0's field 0 is 2^-127)
  bool has_zero;
  bool has_inf;
  NanEncoding nan;
  uint8_t canonical_nan;  // code encode() writes for NaN; unused when nan == none
  // Grid of values: precision, exponent of the smallest normal, exponent of the largest
  // finite. BinaryFormat::max_finite() of the grid is the all-ones value, which E4M3
  // gives to NaN, so the format's own limits are kept separately below.
  BinaryFormat grid;
  double max_finite;
  double min_normal;
  double min_subnormal;  // smallest positive value (equals min_normal without subnormals)

  uint32_t code_count() const { return 1u << bits; }
  uint8_t sign_mask() const { return is_signed ? static_cast<uint8_t>(1u << (bits - 1)) : uint8_t{0}; }
  uint8_t magnitude_mask() const { return static_cast<uint8_t>((1u << (is_signed ? bits - 1 : bits)) - 1u); }
  bool has_nan() const { return nan != NanEncoding::none; }
};

std::span<const ElementFormat> all_element_formats();
// nullptr for an unknown name.
const ElementFormat* find_element_format(std::string_view name);
// As find_element_format, but an unknown name throws std::invalid_argument listing the known ones.
const ElementFormat& element_format(std::string_view name);

}  // namespace flashcheck::formats
