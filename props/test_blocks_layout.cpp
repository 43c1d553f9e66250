// Byte layouts: AoS and SoA rows dequantize bit-identically for every scheme, packing
// round-trips, FP6 bit orders and nibble orders match hand-built bytes.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "oracle/blocks/block_layout.hpp"
#include "oracle/blocks/block_scheme.hpp"

namespace flashcheck::blocks {
namespace {

// A random value: zeros, subnormal floats, NaN and infinities
// for MX schemes; finite values of bounded range for ggml's (its undefined inputs stay out).
double random_value(bool mx, int base) {
  const int kind = *rc::gen::inRange(0, 20);
  if (kind == 0) return 0.0;
  if (mx && kind == 1) return std::numeric_limits<double>::quiet_NaN();
  if (mx && kind == 2)
    return *rc::gen::arbitrary<bool>() ? std::numeric_limits<double>::infinity()
                                       : -std::numeric_limits<double>::infinity();
  const auto mantissa = *rc::gen::inRange<uint32_t>(0, 1u << 23);
  double v = mx && kind == 3
                 ? std::ldexp(static_cast<double>(mantissa), -149)  // f32 subnormal
                 : std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -23), base - *rc::gen::inRange(0, 12));
  return *rc::gen::arbitrary<bool>() ? -v : v;
}

std::vector<double> random_row(const BlockScheme& s, size_t blocks) {
  const bool mx = s.family == SchemeFamily::mx;
  std::vector<double> x(blocks * kBlockSize);
  for (size_t b = 0; b < blocks; ++b) {
    const int base = mx ? *rc::gen::inRange(-140, 128) : *rc::gen::inRange(-60, 20);
    for (size_t i = 0; i < kBlockSize; ++i) x[b * kBlockSize + i] = random_value(mx, base);
    if (!mx) x[b * kBlockSize] = std::ldexp(1.0, base);  // keeps amax away from ggml's tiny-amax cases
  }
  return x;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<uint64_t>(a[i]) != std::bit_cast<uint64_t>(b[i])) return false;
  return true;
}

TEST(BlocksLayout, AosAndSoaDequantizeBitIdentically) {
  for (const BlockScheme& s : all_block_schemes()) {
    const bool ok = rc::check(std::string(s.name) + ": AoS == SoA", [&s] {
      const auto n = *rc::gen::inRange<size_t>(1, 5);
      const std::vector<double> x = random_row(s, n);
      MxOptions o;
      if (s.family == SchemeFamily::mx) o.rule = all_scale_rules()[*rc::gen::inRange<size_t>(0, 3)];
      const std::vector<Block> blocks = quantize_row(s, x, o);
      LayoutOptions aos, soa;
      soa.layout = RowLayout::soa;
      aos.fp6_order = soa.fp6_order = *rc::gen::arbitrary<bool>() ? BitOrder::lsb_first : BitOrder::msb_first;
      const std::vector<uint8_t> a = pack_row(s, blocks, aos);
      const std::vector<uint8_t> b = pack_row(s, blocks, soa);
      RC_ASSERT(a.size() == row_bytes(s, n));
      RC_ASSERT(b.size() == a.size());
      RC_ASSERT(unpack_row(s, a, aos) == blocks);
      RC_ASSERT(unpack_row(s, b, soa) == blocks);
      const std::vector<double> direct = dequantize_row(s, blocks);
      RC_ASSERT(same_bits(dequantize_packed_row(s, a, aos), direct));
      RC_ASSERT(same_bits(dequantize_packed_row(s, b, soa), direct));
    });
    EXPECT_TRUE(ok) << s.name;
  }
}

TEST(BlocksLayout, BlockSizesMatchGgmlStructs) {
  EXPECT_EQ(block_scheme("ggml_q8_0").block_bytes(), 34);
  EXPECT_EQ(block_scheme("ggml_q4_0").block_bytes(), 18);
  EXPECT_EQ(block_scheme("ggml_mxfp4").block_bytes(), 17);
  EXPECT_EQ(block_scheme("mxfp8_e4m3").block_bytes(), 33);
  EXPECT_EQ(block_scheme("mxfp6_e2m3").block_bytes(), 25);
  EXPECT_EQ(block_scheme("mxfp4_e2m1").block_bytes(), 17);
}

TEST(BlocksLayout, SoaPutsElementsThenScales) {
  const BlockScheme& s = block_scheme("ggml_mxfp4");
  std::vector<Block> blocks(2);
  blocks[0].scale = 0x11;
  blocks[1].scale = 0x22;
  for (size_t i = 0; i < kBlockSize; ++i) {
    blocks[0].codes[i] = static_cast<uint8_t>(i % 16);
    blocks[1].codes[i] = static_cast<uint8_t>(15 - i % 16);
  }
  const std::vector<uint8_t> soa = pack_row(s, blocks, {RowLayout::soa, BitOrder::lsb_first, std::nullopt});
  ASSERT_EQ(soa.size(), 34u);
  EXPECT_EQ(soa[32], 0x11);
  EXPECT_EQ(soa[33], 0x22);
  EXPECT_EQ(soa[0], 0x00);   // block 0: elements 0 and 16
  EXPECT_EQ(soa[1], 0x11);   // elements 1 and 17
  EXPECT_EQ(soa[16], 0xFF);  // block 1: elements 0 and 16 hold 15
  const std::vector<uint8_t> aos = pack_row(s, blocks);
  EXPECT_EQ(aos[0], 0x11);
  EXPECT_EQ(aos[17], 0x22);
  EXPECT_EQ(aos[18], 0xFF);
}

TEST(BlocksLayout, Fp6BitOrders) {
  std::vector<uint8_t> codes(kBlockSize, 0);
  codes[0] = 0x01;
  codes[1] = 0x02;
  codes[2] = 0x03;
  codes[3] = 0x3F;
  // lsb_first: byte0 = c0 | c1 << 6, byte1 = c1 >> 2 | c2 << 4, byte2 = c2 >> 4 | c3 << 2.
  std::vector<uint8_t> lsb = pack_codes(6, codes, NibbleOrder::adjacent, BitOrder::lsb_first);
  ASSERT_EQ(lsb.size(), 24u);
  EXPECT_EQ(lsb[0], 0x81);
  EXPECT_EQ(lsb[1], 0x30);
  EXPECT_EQ(lsb[2], 0xFC);
  // msb_first: byte0 = c0 << 2 | c1 >> 4, byte1 = c1 << 4 | c2 >> 2, byte2 = c2 << 6 | c3.
  std::vector<uint8_t> msb = pack_codes(6, codes, NibbleOrder::adjacent, BitOrder::msb_first);
  EXPECT_EQ(msb[0], 0x04);
  EXPECT_EQ(msb[1], 0x20);
  EXPECT_EQ(msb[2], 0xFF);
  for (size_t i = 3; i < 24; ++i) EXPECT_EQ(lsb[i] | msb[i], 0) << i;
}

TEST(BlocksLayout, PackingRoundTripsEveryCodeAtEveryPosition) {
  for (int bits : {4, 6, 8}) {
    for (BitOrder order : {BitOrder::lsb_first, BitOrder::msb_first}) {
      for (NibbleOrder nibbles : {NibbleOrder::adjacent, NibbleOrder::split_halves}) {
        for (unsigned start = 0; start < (1u << bits); ++start) {
          std::vector<uint8_t> codes(kBlockSize);
          for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>((start + 7 * i) % (1u << bits));
          const std::vector<uint8_t> bytes = pack_codes(bits, codes, nibbles, order);
          const auto back = unpack_codes(bits, bytes, nibbles, order);
          ASSERT_TRUE(std::equal(codes.begin(), codes.end(), back.begin())) << bits << " bits, start " << start;
        }
      }
    }
  }
}

TEST(BlocksLayout, AdjacentNibblesPutEvenElementsLow) {
  std::vector<uint8_t> codes(kBlockSize, 0);
  codes[0] = 0x3;
  codes[1] = 0xA;
  codes[17] = 0x5;
  const std::vector<uint8_t> bytes = pack_codes(4, codes, NibbleOrder::adjacent, BitOrder::lsb_first);
  EXPECT_EQ(bytes[0], 0xA3);
  EXPECT_EQ(bytes[8], 0x50);
  const std::vector<uint8_t> split = pack_codes(4, codes, NibbleOrder::split_halves, BitOrder::lsb_first);
  EXPECT_EQ(split[0], 0x03);
  EXPECT_EQ(split[1], 0x5A);
}

TEST(BlocksLayout, BadInputThrows) {
  std::vector<uint8_t> codes(kBlockSize, 0);
  codes[4] = 0x40;
  EXPECT_THROW((void)pack_codes(6, codes, NibbleOrder::adjacent, BitOrder::lsb_first), std::invalid_argument);
  EXPECT_THROW((void)pack_codes(5, codes, NibbleOrder::adjacent, BitOrder::lsb_first), std::invalid_argument);
  const std::vector<uint8_t> bytes(35, 0);
  EXPECT_THROW((void)unpack_row(block_scheme("ggml_q8_0"), bytes), std::invalid_argument);
  std::vector<Block> blocks(1);
  blocks[0].scale = 0x100;
  EXPECT_THROW((void)pack_row(block_scheme("mxfp8_e4m3"), blocks), std::invalid_argument);
  EXPECT_EQ(parse_row_layout("soa"), RowLayout::soa);
  EXPECT_EQ(parse_bit_order("msb_first"), BitOrder::msb_first);
  EXPECT_EQ(parse_nibble_order("split_halves"), NibbleOrder::split_halves);
  EXPECT_EQ(parse_row_layout("aosoa"), std::nullopt);
  EXPECT_EQ(name(BitOrder::lsb_first), "lsb_first");
}

}  // namespace
}  // namespace flashcheck::blocks
