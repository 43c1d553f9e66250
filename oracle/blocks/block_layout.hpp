#pragma once
// Byte layouts of quantized rows. AoS: per block, the scale then the element bytes (as
// ggml's block_q8_0 {fp16 d; int8 qs[32]}, block_q4_0 {fp16 d; uint8 qs[16]},
// block_mxfp4 {uint8 e; uint8 qs[16]}). SoA: all element bytes of the row, then all its
// scales (llama.cpp's MXFP KV-cache layout). Element bytes: 8-bit codes one a byte,
// 4-bit codes two a byte (NibbleOrder), 6-bit codes four in three bytes (BitOrder).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "oracle/blocks/block.hpp"
#include "oracle/blocks/block_scheme.hpp"

namespace flashcheck::blocks {

enum class RowLayout : uint8_t { aos, soa };
// 6-bit codes as a bit stream. lsb_first: code i holds stream bits 6i..6i+5, its least
// significant bit first, and stream bit k is bit (k mod 8) of byte k / 8. msb_first: the
// stream runs from bit 7 of byte 0 down, each code most significant bit first.
enum class BitOrder : uint8_t { lsb_first, msb_first };

struct LayoutOptions {
  RowLayout layout = RowLayout::aos;
  BitOrder fp6_order = BitOrder::lsb_first;
  std::optional<NibbleOrder> nibbles;  // nullopt: the scheme's own order
};

std::string_view name(RowLayout l);
std::string_view name(BitOrder o);
std::optional<RowLayout> parse_row_layout(std::string_view s);
std::optional<BitOrder> parse_bit_order(std::string_view s);

// The 32 codes of one block as element bytes (bits * 4 of them); a code wider than
// `bits` throws std::invalid_argument.
std::vector<uint8_t> pack_codes(int bits, std::span<const uint8_t> codes, NibbleOrder nibbles, BitOrder fp6_order);
std::array<uint8_t, kBlockSize> unpack_codes(int bits, std::span<const uint8_t> bytes, NibbleOrder nibbles,
                                             BitOrder fp6_order);

size_t row_bytes(const BlockScheme& s, size_t n_blocks);
std::vector<uint8_t> pack_row(const BlockScheme& s, std::span<const Block> blocks, const LayoutOptions& o = {});
// bytes.size() must be a multiple of the scheme's block bytes.
std::vector<Block> unpack_row(const BlockScheme& s, std::span<const uint8_t> bytes, const LayoutOptions& o = {});
std::vector<double> dequantize_packed_row(const BlockScheme& s, std::span<const uint8_t> bytes,
                                          const LayoutOptions& o = {});

}  // namespace flashcheck::blocks
