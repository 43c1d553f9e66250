#include "oracle/blocks/block_layout.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/named_values.hpp"

namespace flashcheck::blocks {

namespace {

constexpr std::array<std::pair<RowLayout, std::string_view>, 2> kLayoutNames{{
    {RowLayout::aos, "aos"},
    {RowLayout::soa, "soa"},
}};
constexpr std::array<std::pair<BitOrder, std::string_view>, 2> kBitOrderNames{{
    {BitOrder::lsb_first, "lsb_first"},
    {BitOrder::msb_first, "msb_first"},
}};

void require_bits(int bits) {
  if (bits != 4 && bits != 6 && bits != 8)
    throw std::invalid_argument("element codes of " + std::to_string(bits) + " bits have no layout (4, 6 or 8)");
}

// Byte index and nibble shift of 4-bit code i.
std::pair<size_t, int> nibble_slot(size_t i, NibbleOrder o) {
  constexpr size_t half = kBlockSize / 2;
  if (o == NibbleOrder::adjacent) return {i / 2, i % 2 == 0 ? 0 : 4};
  return {i % half, i < half ? 0 : 4};
}

// Stream bit k lives in byte k / 8, at bit (k mod 8) (lsb_first) or 7 - (k mod 8).
int bit_shift(size_t k, BitOrder o) { return o == BitOrder::lsb_first ? int(k % 8) : 7 - int(k % 8); }

// Code bit b (0 = least significant) of code i sits at stream position 6i + b
// (lsb_first) or 6i + 5 - b (msb_first).
size_t stream_position(size_t i, int b, BitOrder o) {
  return 6 * i + static_cast<size_t>(o == BitOrder::lsb_first ? b : 5 - b);
}

NibbleOrder nibbles_of(const BlockScheme& s, const LayoutOptions& o) { return o.nibbles.value_or(s.nibbles); }

void write_scale(const BlockScheme& s, uint16_t scale, uint8_t* out) {
  if (s.scale == ScaleStorage::e8m0) {
    if (scale > 0xFF) throw std::invalid_argument("E8M0 scale " + std::to_string(scale) + " exceeds 8 bits");
    out[0] = static_cast<uint8_t>(scale);
    return;
  }
  out[0] = static_cast<uint8_t>(scale & 0xFFu);  // fp16 little-endian, as ggml_half in memory
  out[1] = static_cast<uint8_t>(scale >> 8);
}

uint16_t read_scale(const BlockScheme& s, const uint8_t* in) {
  if (s.scale == ScaleStorage::e8m0) return in[0];
  return static_cast<uint16_t>(in[0] | (in[1] << 8));
}

}  // namespace

std::string_view name(RowLayout l) { return name_in<RowLayout>(kLayoutNames, l, "layout option"); }
std::string_view name(BitOrder o) { return name_in<BitOrder>(kBitOrderNames, o, "layout option"); }
std::optional<RowLayout> parse_row_layout(std::string_view s) { return value_named<RowLayout>(kLayoutNames, s); }
std::optional<BitOrder> parse_bit_order(std::string_view s) { return value_named<BitOrder>(kBitOrderNames, s); }

std::vector<uint8_t> pack_codes(int bits, std::span<const uint8_t> codes, NibbleOrder nibbles, BitOrder fp6_order) {
  require_bits(bits);
  if (codes.size() != kBlockSize)
    throw std::invalid_argument("a block has 32 codes, got " + std::to_string(codes.size()));
  std::vector<uint8_t> out(static_cast<size_t>(kBlockSize * bits / 8), 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] >> bits != 0)
      throw std::invalid_argument("code " + std::to_string(codes[i]) + " does not fit " + std::to_string(bits) +
                                  " bits");
    if (bits == 8) {
      out[i] = codes[i];
    } else if (bits == 4) {
      const auto [byte, shift] = nibble_slot(i, nibbles);
      out[byte] = static_cast<uint8_t>(out[byte] | (codes[i] << shift));
    } else {
      for (int b = 0; b < bits; ++b) {
        const size_t k = stream_position(i, b, fp6_order);
        out[k / 8] = static_cast<uint8_t>(out[k / 8] | (((codes[i] >> b) & 1u) << bit_shift(k, fp6_order)));
      }
    }
  }
  return out;
}

std::array<uint8_t, kBlockSize> unpack_codes(int bits, std::span<const uint8_t> bytes, NibbleOrder nibbles,
                                             BitOrder fp6_order) {
  require_bits(bits);
  if (bytes.size() != static_cast<size_t>(kBlockSize * bits / 8))
    throw std::invalid_argument(std::to_string(bits) + "-bit codes of a block take " +
                                std::to_string(kBlockSize * bits / 8) + " bytes, got " + std::to_string(bytes.size()));
  std::array<uint8_t, kBlockSize> codes{};
  for (size_t i = 0; i < codes.size(); ++i) {
    if (bits == 8) {
      codes[i] = bytes[i];
    } else if (bits == 4) {
      const auto [byte, shift] = nibble_slot(i, nibbles);
      codes[i] = static_cast<uint8_t>((bytes[byte] >> shift) & 0x0Fu);
    } else {
      unsigned code = 0;
      for (int b = 0; b < bits; ++b) {
        const size_t k = stream_position(i, b, fp6_order);
        code |= ((bytes[k / 8] >> bit_shift(k, fp6_order)) & 1u) << b;
      }
      codes[i] = static_cast<uint8_t>(code);
    }
  }
  return codes;
}

size_t row_bytes(const BlockScheme& s, size_t n_blocks) { return n_blocks * static_cast<size_t>(s.block_bytes()); }

std::vector<uint8_t> pack_row(const BlockScheme& s, std::span<const Block> blocks, const LayoutOptions& o) {
  const auto eb = static_cast<size_t>(s.element_bytes());
  const auto sb = static_cast<size_t>(s.scale_bytes());
  std::vector<uint8_t> out(row_bytes(s, blocks.size()), 0);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const std::vector<uint8_t> elements = pack_codes(s.element_bits, blocks[b].codes, nibbles_of(s, o), o.fp6_order);
    // AoS: [scale | elements] per block. SoA: [elements of every block | every scale].
    const size_t scale_at = o.layout == RowLayout::aos ? b * (sb + eb) : blocks.size() * eb + b * sb;
    const size_t elements_at = o.layout == RowLayout::aos ? b * (sb + eb) + sb : b * eb;
    write_scale(s, blocks[b].scale, out.data() + scale_at);
    std::copy(elements.begin(), elements.end(), out.begin() + static_cast<std::ptrdiff_t>(elements_at));
  }
  return out;
}

std::vector<Block> unpack_row(const BlockScheme& s, std::span<const uint8_t> bytes, const LayoutOptions& o) {
  const auto bb = static_cast<size_t>(s.block_bytes());
  if (bytes.size() % bb != 0)
    throw std::invalid_argument(std::to_string(bytes.size()) + " bytes are not a whole number of " +
                                std::string(s.name) + " blocks (" + std::to_string(bb) + " bytes each)");
  const auto eb = static_cast<size_t>(s.element_bytes());
  const auto sb = static_cast<size_t>(s.scale_bytes());
  const size_t n = bytes.size() / bb;
  std::vector<Block> blocks(n);
  for (size_t b = 0; b < n; ++b) {
    const size_t scale_at = o.layout == RowLayout::aos ? b * bb : n * eb + b * sb;
    const size_t elements_at = o.layout == RowLayout::aos ? b * bb + sb : b * eb;
    blocks[b].scale = read_scale(s, bytes.data() + scale_at);
    blocks[b].codes = unpack_codes(s.element_bits, bytes.subspan(elements_at, eb), nibbles_of(s, o), o.fp6_order);
  }
  return blocks;
}

std::vector<double> dequantize_packed_row(const BlockScheme& s, std::span<const uint8_t> bytes,
                                          const LayoutOptions& o) {
  return dequantize_row(s, unpack_row(s, bytes, o));
}

}  // namespace flashcheck::blocks
