// The .npy reader and writer of bundles (cli/npy.hpp): round trips of every dtype and
// rank, bytes exactly as NumPy writes them, Fortran order, and corrupt files rejected
// with a reason (never a crash, never a read past the end).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/npy.hpp"

namespace flashcheck::cli {
namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

// np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)) with NumPy 2.x: version 1.0, header padded to 128 bytes.
std::string numpy_written_2x3() {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  for (int i = 0; i < 6; ++i) {
    const float f = static_cast<float>(i);
    out.append(reinterpret_cast<const char*>(&f), sizeof f);
  }
  return out;
}

std::string message_of(const std::vector<std::byte>& bytes) {
  try {
    decode_npy(bytes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(BundleNpy, ReadsWhatNumpyWrites) {
  const NpyArray a = decode_npy(bytes_of(numpy_written_2x3()));
  EXPECT_EQ(a.type, NpyType::f32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.value(i), i);
}

TEST(BundleNpy, WritesTheHeaderNumpyWrites) {
  const NpyArray a = decode_npy(bytes_of(numpy_written_2x3()));
  const std::vector<std::byte> again = encode_npy(a);
  EXPECT_EQ(again.size() % 64, (6 * 4) % 64);  // header padded to a multiple of 64 bytes
  // The header text matches NumPy's up to the padding.
  const std::string text(reinterpret_cast<const char*>(again.data()) + 10, 59);
  EXPECT_EQ(text, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
}

TEST(BundleNpy, ScalarsAndVectorsKeepTheirTupleSyntax) {
  NpyArray scalar{NpyType::f64, {}, std::vector<std::byte>(8)};
  NpyArray vec{NpyType::u8, {3}, std::vector<std::byte>(3)};
  for (const NpyArray& a : {scalar, vec}) {
    const NpyArray b = decode_npy(encode_npy(a));
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.type, a.type);
  }
  const std::vector<std::byte> v = encode_npy(vec);
  EXPECT_NE(std::string(reinterpret_cast<const char*>(v.data()), v.size()).find("'shape': (3,)"), std::string::npos);
}

TEST(BundleNpy, FortranOrderIsReadBackInCOrder) {
  std::string text = numpy_written_2x3();
  text.replace(text.find("False"), 5, "True ");
  // Fortran order: the bytes 0..5 are element [0][0], [1][0], [0][1], [1][1], [0][2], [1][2].
  const NpyArray a = decode_npy(bytes_of(text));
  const double expected[] = {0, 2, 4, 1, 3, 5};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.value(i), expected[i]) << i;
}

TEST(BundleNpy, DecodesHalfAndBf16Bits) {
  NpyArray h{NpyType::f16, {2}, {}};
  const uint16_t bits[] = {0x3C00, 0xFC00};  // 1.0, -inf
  h.data.resize(4);
  std::memcpy(h.data.data(), bits, 4);
  const NpyArray back = decode_npy(encode_npy(h));
  EXPECT_EQ(back.value(0), 1.0);
  EXPECT_EQ(back.value(1), -std::numeric_limits<double>::infinity());
  h.type = NpyType::u16;
  EXPECT_EQ(decode_npy(encode_npy(h)).value(0), 0x3C00);
}

TEST(BundleNpy, CorruptFilesAreRejectedWithAReason) {
  const std::string good = numpy_written_2x3();
  struct Corruption {
    std::string bytes;
    std::string reason;
  };
  std::string big_endian = good, wrong_size = good, unknown_key = good, bad_version = good, huge = good,
              no_shape = good, garbage = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  wrong_size.pop_back();
  unknown_key.replace(unknown_key.find("'fortran_order'"), 15, "'fortran_ordex'");
  bad_version[6] = '\x04';
  huge.replace(huge.find("(2, 3)"), 6, "(99999999999, 99999999999)");
  no_shape.replace(no_shape.find("'shape': (2, 3), "), 17, "                 ");
  garbage.replace(garbage.find("}"), 1, "x");
  const Corruption cases[] = {
      {"", "not a .npy file"},
      {"\x93NUMPX\x01\x00", "not a .npy file"},
      {good.substr(0, 9), "not a .npy file"},
      {good.substr(0, 40), "runs past the end"},
      {big_endian, "'>f4' is not supported"},
      {wrong_size, "data is 23 bytes but shape [2, 3] of <f4 needs 24"},
      {unknown_key, "unknown header key 'fortran_ordex'"},
      {bad_version, "version 4.0 is not supported"},
      {huge, "holds more than"},
      {no_shape, "lacks one of"},
      {garbage, "malformed .npy header"},
  };
  for (const Corruption& c : cases) {
    const std::string why = message_of(bytes_of(c.bytes));
    EXPECT_NE(why.find(c.reason), std::string::npos) << "got: '" << why << "' expected: " << c.reason;
  }
}

TEST(BundleNpy, FilesNameThePath) {
  EXPECT_THROW(read_npy_file("/nonexistent/o.npy"), std::runtime_error);
}

RC_GTEST_PROP(BundleNpy, RoundTripsEveryTypeAndRank, ()) {
  const auto type = *rc::gen::element(NpyType::f16, NpyType::f32, NpyType::f64, NpyType::u8, NpyType::u16,
                                      NpyType::boolean);
  const auto shape = *rc::gen::container<std::vector<int64_t>>(*rc::gen::inRange<size_t>(0, 5),
                                                               rc::gen::inRange<int64_t>(0, 5));
  NpyArray a{type, shape, {}};
  const auto raw = *rc::gen::container<std::vector<uint8_t>>(static_cast<size_t>(a.numel()) * npy_item_size(type),
                                                             rc::gen::arbitrary<uint8_t>());
  for (uint8_t b : raw) a.data.push_back(std::byte{b});
  const NpyArray back = decode_npy(encode_npy(a));
  RC_ASSERT(back.type == a.type);
  RC_ASSERT(back.shape == a.shape);
  RC_ASSERT(back.data == a.data);
}

// Any change of any byte either decodes into a consistent array or is rejected with a reason.
RC_GTEST_PROP(BundleNpy, MutatedBytesNeverCrash, ()) {
  std::vector<std::byte> bytes = bytes_of(numpy_written_2x3());
  const auto edits = *rc::gen::inRange(1, 6);
  for (int n = 0; n < edits; ++n) {
    const auto at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = std::byte{*rc::gen::arbitrary<uint8_t>()};
  }
  if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size()));
  try {
    const NpyArray a = decode_npy(bytes, 1 << 20);
    RC_ASSERT(a.data.size() == static_cast<size_t>(a.numel()) * npy_item_size(a.type));
  } catch (const std::invalid_argument& e) {
    RC_ASSERT(std::string(e.what()).size() > 0);
  }
}

}  // namespace
}  // namespace flashcheck::cli
