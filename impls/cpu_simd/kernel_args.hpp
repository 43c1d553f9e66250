#pragma once
// What a vectorised kernel sees of a case: raw storage, element strides and the
// options, as plain data. This header is shared by the host library, the x86 ISA
// translation units and the cross-compiled aarch64 runner, so it holds no code:
// translation units built with different -m flags must not share inline functions
// (the linker would keep one ISA's copy for all of them).
#include <cstddef>
#include <cstdint>

namespace flashcheck::cpu_simd {

// Storage element types, numbered as flashcheck::DType (f32, f16, bf16).
enum class ElemType : uint8_t { f32 = 0, f16 = 1, bf16 = 2 };
inline constexpr int kElemTypeCount = 3;
inline constexpr int64_t kElemBytes[kElemTypeCount] = {4, 2, 2};

// The mask a kernel derives from positions alone (the explicit mask comes on top).
enum class StructuralMask : uint8_t { none = 0, causal = 1, window = 2 };

// How the horizontal max over a block's key lanes is reduced. lane0 is the seeded
// bug "max-lane0": the reduction returns lane 0 instead of the maximum.
enum class MaxReduction : uint8_t { all_lanes = 0, lane0 = 1 };
inline constexpr int kMaxReductionCount = 2;

// A 4-d view [i0][i1][i2][i3]: element at data + (sum of i_d * strides[d]) elements.
struct StridedTensor {
  const std::byte* data;
  ElemType type;
  int64_t strides[4];
};

struct OutputTensor {
  std::byte* data;
  ElemType type;
  int64_t strides[4];
};

// One row along the innermost dimension: element d at first + d * stride elements.
struct RowRef {
  const std::byte* first;
  int64_t stride;
};

struct OutRow {
  std::byte* first;
  int64_t stride;
};

struct KernelArgs {
  int64_t batch, hq, hkv, lq, lk, dk, dv;
  StridedTensor q;  // [batch][hq][lq][dk]
  StridedTensor k;  // [batch][hkv][lk][dk]
  StridedTensor v;  // [batch][hkv][lk][dv]
  // Explicit additive mask [lq][lk] (f32 or f16, -inf hides a key), or mask_data == nullptr.
  const std::byte* mask_data;
  ElemType mask_type;
  int64_t mask_strides[2];
  StructuralMask structural;
  int64_t window;  // StructuralMask::window: key j visible iff 0 <= pos - j < window
  float scale;
  float softcap;        // > 0: s = softcap * tanh(s / softcap)
  const float* slopes;  // ALiBi slope per query head, or nullptr without ALiBi
  const float* sinks;   // sink logit per query head, or nullptr
  OutputTensor o;       // [batch][hq][lq][dv]
  float* lse;           // [batch][hq][lq]
  MaxReduction max_reduction;
};

}  // namespace flashcheck::cpu_simd
