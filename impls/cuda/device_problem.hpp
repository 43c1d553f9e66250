#pragma once
// The boundary between the host side of the CUDA subjects (plain C++, built
// everywhere) and the device side (built by nvcc where one exists). It carries raw
// storage pointers, element strides and storage codes only, so the .cu files never
// see the case model and the host files never see a CUDA header.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flashcheck::cuda {

// Keys per K/V tile in every kernel; a flash-decoding split always holds whole tiles.
inline constexpr int kKeyTile = 32;
// Largest Dk and Dv: each lane keeps kMaxHeadDim / 32 accumulator columns in registers.
inline constexpr int kMaxHeadDim = 256;

// Element storage of a tensor, as the kernels decode it (values match core's DType order).
enum class StorageType : int { f32 = 0, f16 = 1, bf16 = 2 };

// The structural part of the mask, computed from indices on the device.
enum class StructuralMask : int { none = 0, causal = 1, window = 2 };

// A host tensor as the kernel reads it: its whole storage, uploaded as is.
struct HostTensor {
  const void* data = nullptr;
  size_t bytes = 0;
  int64_t strides[4] = {0, 0, 0, 0};  // in elements
  StorageType type = StorageType::f32;
};

struct DeviceProblem {
  int64_t batch = 0, hq = 0, hkv = 0, lq = 0, lk = 0, dk = 0, dv = 0;
  HostTensor q, k, v;
  bool has_mask = false;
  HostTensor mask;  // [1][1][lq][lk] additive, when has_mask
  StructuralMask structural = StructuralMask::none;
  int64_t window = 0;
  float scale = 1.0f;
  float softcap = 0.0f;
  bool alibi = false;
  std::vector<float> slopes;  // per query head (1 without ALiBi)
  std::vector<float> sinks;   // empty, or per query head

  void* o = nullptr;  // host storage of O, written whole
  size_t o_bytes = 0;
  int64_t o_strides[4] = {0, 0, 0, 0};
  StorageType o_type = StorageType::f32;
  float* lse = nullptr;  // [batch][hq][lq] on the host
};

enum class KernelVariant : int {
  fp32,     // fp32 scores, statistics and accumulator
  fp16acc,  // fp32 scores; running max, row sum and PV accumulator in half
  splitkv,  // flash-decoding: fp32 partials over key chunks, then a merge
};

// How flash-decoding cuts the keys: num_splits chunks of keys_per_split keys.
struct SplitPlan {
  int num_splits = 1;
  int keys_per_split = 0;
};

// The seeded bugs, as switches the launcher turns into kernel template arguments.
struct KernelSwitches {
  bool max_lane0 = false;         // the warp max-reduction returns lane 0's score
  bool merge_no_rescale = false;  // the split merge skips the exp(m_i - M) rescale
};

// True when this build holds the CUDA kernels (a CUDA compiler existed at configure time).
bool built_with_cuda();
// Why the kernels cannot run on this machine (no CUDA build, no driver, no device, a
// device without sm_90 support), or nullopt when they can.
std::optional<std::string> device_unavailable_reason();
// Uploads the problem, runs the variant and writes O and LSE back into the host
// buffers the problem names. Throws std::runtime_error on any CUDA failure.
void run_on_device(const DeviceProblem& problem, KernelVariant variant, const SplitPlan& plan,
                   const KernelSwitches& switches);

}  // namespace flashcheck::cuda
