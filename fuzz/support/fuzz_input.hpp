#pragma once
// Reads a fuzz input as a stream of choices. Every read is bounded: past the end of the
// data it yields zeros, so any byte string (the empty one included) is a valid input
// and a short input simply takes the first entry of every table.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace flashcheck::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t remaining() const { return size_ - pos_; }

  uint8_t u8() {
    if (pos_ >= size_) return 0;
    return data_[pos_++];
  }
  // Little-endian, as the seed writer and the dictionaries spell values.
  uint16_t u16() { return static_cast<uint16_t>(read_le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(read_le(4)); }
  uint64_t u64() { return read_le(8); }
  float f32() { return std::bit_cast<float>(u32()); }
  double f64() { return std::bit_cast<double>(u64()); }
  bool flag() { return (u8() & 1u) != 0; }

  // A value in [0, n) (n >= 1), one byte when n fits a byte.
  uint32_t below(uint32_t n) {
    const uint32_t raw = n <= 256 ? u8() : u32();
    return raw % n;
  }
  // One entry of a table (non-empty).
  template <class T>
  const T& choose(std::span<const T> table) {
    return table[below(static_cast<uint32_t>(table.size()))];
  }

 private:
  uint64_t read_le(size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(u8()) << (8 * i);
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace flashcheck::fuzz
