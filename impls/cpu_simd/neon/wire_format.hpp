#pragma once
// The private file protocol between the host backends (cpu-neon, cpu-neon-fp16) and
// the cross-compiled aarch64 runner. Both sides are little-endian; every field is
// written in the order below with no padding.
//
// Command line:  flashcheck_neon_runner [--max-lane0] <request> <response>   attention
//                flashcheck_neon_runner --exp|--tanh <request> <response>      one function
//                flashcheck_neon_runner --features <ignored> <response>        CPU features
//
// Attention request:
//   magic "FCNEONA1" (8 bytes)
//   u8  arithmetic       0 fp32 (cpu-neon), 1 fp16 (cpu-neon-fp16)
//   i64 batch hq hkv lq lk dk dv
//   u8  structural mask  0 none, 1 causal, 2 window;   i64 window
//   f32 scale, softcap
//   u8  o_type           0 f32, 1 f16, 2 bf16
//   u8  flags            bit 0 explicit mask, bit 1 ALiBi slopes, bit 2 sinks
//   tensor q, k, v, then mask when flagged, each as:
//       u8 dtype, i64 shape[4], i64 strides[4] (elements), u64 byte count, the bytes
//   f32[hq] slopes when flagged, f32[hq] sinks when flagged
// Function request (--exp / --tanh): magic "FCNEONF1", u64 n, f32[n].
//
// Response:
//   magic "FCNEONR1", u8 status (0 ok, 1 error), u64 message length, message bytes;
//   then, when ok, the payload:
//     attention: u8 o_type, u64 rows (batch*hq*lq), u64 dv,
//                O as rows*dv elements of o_type (contiguous [batch][hq][lq][dv]),
//                f32[rows] LSE
//     function:  u64 n, f32[n]
//     features:  u64 length, the feature names separated by spaces
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace flashcheck::cpu_simd::wire {

inline constexpr char kAttentionMagic[8] = {'F', 'C', 'N', 'E', 'O', 'N', 'A', '1'};
inline constexpr char kFunctionMagic[8] = {'F', 'C', 'N', 'E', 'O', 'N', 'F', '1'};
inline constexpr char kResponseMagic[8] = {'F', 'C', 'N', 'E', 'O', 'N', 'R', '1'};

enum class Arithmetic : uint8_t { fp32 = 0, fp16 = 1 };
enum class Status : uint8_t { ok = 0, error = 1 };

inline constexpr uint8_t kFlagExplicitMask = 1;
inline constexpr uint8_t kFlagAlibi = 2;
inline constexpr uint8_t kFlagSinks = 4;

class Writer {
 public:
  template <class T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    put_bytes(&value, sizeof value);
  }
  void put_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

// Reads fields in order; a read past the end throws std::runtime_error naming the field.
class Reader {
 public:
  Reader(const std::byte* data, size_t size) : data_(data), size_(size) {}
  template <class T>
  T get(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, take(sizeof value, what), sizeof value);
    return value;
  }
  const std::byte* take(size_t n, const char* what) {
    if (n > size_ - offset_) throw std::runtime_error(std::string("truncated message: no room for ") + what);
    const std::byte* p = data_ + offset_;
    offset_ += n;
    return p;
  }
  void expect_magic(const char (&magic)[8], const char* what) {
    if (std::memcmp(take(8, what), magic, 8) != 0) throw std::runtime_error(std::string("bad magic: not ") + what);
  }
  bool at_end() const { return offset_ == size_; }

 private:
  const std::byte* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace flashcheck::cpu_simd::wire
