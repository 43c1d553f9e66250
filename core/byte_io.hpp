#pragma once
// Bounded little-endian byte writing and reading for the binary case codec. The reader
// never reads past its span: every read first checks the bytes remaining, and a failed
// read throws ByteReadError carrying the offset and the field being read, which the
// decoder turns into its rejection message.
#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flashcheck {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF), so
// every string a record holds can also be written as JSON.
inline bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 2;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 3;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put_le(v, 2); }
  void u32(uint32_t v) { put_le(v, 4); }
  void u64(uint64_t v) { put_le(v, 8); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f32(float v) { u32(std::bit_cast<uint32_t>(v)); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  // u32 length, then the bytes.
  void string(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s);
  }
  std::vector<uint8_t>& buffer() { return out_; }

 private:
  void put_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

// A rejection: the offset where the offending value starts, the field, the problem.
struct ByteReadError : std::runtime_error {
  ByteReadError(size_t at, std::string field_name, const std::string& problem)
      : std::runtime_error(fmt::format("offset {} ({}): {}", at, field_name, problem)),
        offset(at),
        field(std::move(field_name)) {}
  size_t offset;
  std::string field;
};

class ByteReader {
 public:
  // `base` is the offset of bytes[0] in the whole record, for messages.
  explicit ByteReader(std::span<const uint8_t> bytes, size_t base = 0) : bytes_(bytes), base_(base) {}

  size_t offset() const { return base_ + pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  [[noreturn]] void fail_at(size_t at, std::string_view field, const std::string& problem) const {
    throw ByteReadError(at, std::string(field), problem);
  }
  [[noreturn]] void fail(std::string_view field, const std::string& problem) const {
    fail_at(offset(), field, problem);
  }

  uint8_t u8(std::string_view field) { return static_cast<uint8_t>(get_le(1, field)); }
  uint16_t u16(std::string_view field) { return static_cast<uint16_t>(get_le(2, field)); }
  uint32_t u32(std::string_view field) { return static_cast<uint32_t>(get_le(4, field)); }
  uint64_t u64(std::string_view field) { return get_le(8, field); }
  int64_t i64(std::string_view field) { return static_cast<int64_t>(get_le(8, field)); }
  float f32(std::string_view field) { return std::bit_cast<float>(u32(field)); }
  bool boolean(std::string_view field) {
    const size_t at = offset();
    const uint8_t v = u8(field);
    if (v > 1) fail_at(at, field, fmt::format("{} is not a boolean (0 or 1)", v));
    return v == 1;
  }
  // An i64 in [lo, hi].
  int64_t i64_in(std::string_view field, int64_t lo, int64_t hi) {
    const size_t at = offset();
    const int64_t v = i64(field);
    if (v < lo || v > hi) fail_at(at, field, fmt::format("{} is outside [{}, {}]", v, lo, hi));
    return v;
  }
  // A u32 length-prefixed UTF-8 string of at most max_bytes.
  std::string string(std::string_view field, size_t max_bytes) {
    const size_t at = offset();
    const uint32_t n = u32(field);
    if (n > max_bytes) fail_at(at, field, fmt::format("string of {} bytes exceeds the limit of {}", n, max_bytes));
    require(n, field);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    if (!is_valid_utf8(s)) fail(field, "string is not valid UTF-8");
    pos_ += n;
    return s;
  }
  // n raw bytes; n is checked against the input left before anything is allocated.
  std::span<const uint8_t> take(uint64_t n, std::string_view field) {
    require(n, field);
    const auto s = bytes_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  // Fails unless at least n bytes are left.
  void require(uint64_t n, std::string_view field) const {
    if (n > remaining())
      fail(field, fmt::format("needs {} bytes but only {} remain (truncated record)", n, remaining()));
  }

 private:
  uint64_t get_le(int n, std::string_view field) {
    require(static_cast<uint64_t>(n), field);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{bytes_[pos_ + static_cast<size_t>(i)]} << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::span<const uint8_t> bytes_;
  size_t base_;
  size_t pos_ = 0;
};

}  // namespace flashcheck
