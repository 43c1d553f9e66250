#pragma once
// One quantized block of 32 elements, before any byte layout: the scale's bits (an
// E8M0 code, or fp16 bits for ggml's q8_0 / q4_0) and one code per element, in
// element order (int8 codes of q8_0 stored as their two's-complement byte).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flashcheck::blocks {

inline constexpr int kBlockSize = 32;

struct Block {
  uint16_t scale = 0;
  std::array<uint8_t, kBlockSize> codes{};
  bool operator==(const Block&) const = default;
};

// Where two 4-bit codes go in a byte. adjacent: element 2i in the low nibble of byte i,
// 2i+1 in the high nibble. split_halves (ggml's q4_0, mxfp4): element j in the low
// nibble of byte j and element j+16 in its high nibble.
enum class NibbleOrder : uint8_t { adjacent, split_halves };

std::string_view name(NibbleOrder o);
std::optional<NibbleOrder> parse_nibble_order(std::string_view s);

}  // namespace flashcheck::blocks

namespace flashcheck::blocks {

// "<decimal> (<hex float>)" for error messages.
std::string describe_value(double v);

}  // namespace flashcheck::blocks
