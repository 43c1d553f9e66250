// The device side of the CUDA subjects: device checks, buffers, uploads, launches and
// downloads. Inputs go up as their whole storage; the kernels read the strides.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "impls/cuda/device_problem.hpp"
#include "impls/cuda/kernel_launch.cuh"

namespace flashcheck::cuda {
namespace {

constexpr int kRequiredMajor = 9;  // this build carries sm_90 code and compute_90 PTX only
constexpr long long kMaxGridDimYZ = 65535;

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
}

class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) {
    if (bytes > 0) check(cudaMalloc(&ptr_, bytes), "cudaMalloc");
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(DeviceBuffer&&) = delete;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

DeviceBuffer upload(const void* host, size_t bytes) {
  DeviceBuffer d(bytes);
  if (bytes > 0) check(cudaMemcpy(d.as<void>(), host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to the device");
  return d;
}

DeviceBuffer zeroed(size_t bytes) {
  DeviceBuffer d(bytes);
  if (bytes > 0) check(cudaMemset(d.as<void>(), 0, bytes), "cudaMemset");
  return d;
}

TensorArg tensor_arg(const HostTensor& t, const DeviceBuffer& d) {
  TensorArg a{};
  a.data = d.as<const unsigned char>();
  for (int i = 0; i < 4; ++i) a.stride[i] = t.strides[i];
  a.type = static_cast<int>(t.type);
  return a;
}

void check_problem(const DeviceProblem& pr, const SplitPlan& plan) {
  if (pr.dk < 1 || pr.dv < 1 || pr.dk > kMaxHeadDim || pr.dv > kMaxHeadDim)
    throw std::invalid_argument("head dimensions must lie in [1, " + std::to_string(kMaxHeadDim) + "]");
  if (pr.hkv < 1 || pr.hq % pr.hkv != 0) throw std::invalid_argument("Hq must be a multiple of Hkv");
  if (pr.hq > kMaxGridDimYZ || pr.batch * plan.num_splits > kMaxGridDimYZ)
    throw std::invalid_argument("too many heads or batch x splits for one grid");
  if (plan.num_splits < 1 || plan.keys_per_split < 1 || plan.keys_per_split % kKeyTile != 0)
    throw std::invalid_argument("malformed split plan");
}

}  // namespace

bool built_with_cuda() { return true; }

std::optional<std::string> device_unavailable_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) return std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
  if (count == 0) return std::string("no CUDA device");
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess)
    return std::string("cannot query CUDA device: ") + cudaGetErrorString(cudaGetLastError());
  if (major < kRequiredMajor)
    return "CUDA device " + std::to_string(device) + " has compute capability " + std::to_string(major) + "." +
           std::to_string(minor) + "; this build carries sm_90 code and compute_90 PTX, which need 9.0 or newer";
  return std::nullopt;
}

void run_on_device(const DeviceProblem& pr, KernelVariant variant, const SplitPlan& plan,
                   const KernelSwitches& switches) {
  const bool split = variant == KernelVariant::splitkv;
  // The one-pass kernels see all keys as a single chunk.
  const int all_keys = static_cast<int>((pr.lk + kKeyTile - 1) / kKeyTile * kKeyTile);
  const SplitPlan used = split ? plan : SplitPlan{1, std::max(all_keys, kKeyTile)};
  check_problem(pr, used);

  const DeviceBuffer q = upload(pr.q.data, pr.q.bytes);
  const DeviceBuffer k = upload(pr.k.data, pr.k.bytes);
  const DeviceBuffer v = upload(pr.v.data, pr.v.bytes);
  const DeviceBuffer mask = pr.has_mask ? upload(pr.mask.data, pr.mask.bytes) : DeviceBuffer(0);
  const DeviceBuffer slopes = upload(pr.slopes.data(), pr.slopes.size() * sizeof(float));
  const DeviceBuffer sinks = upload(pr.sinks.data(), pr.sinks.size() * sizeof(float));
  const size_t rows = static_cast<size_t>(pr.batch * pr.hq * pr.lq);
  const DeviceBuffer o = zeroed(pr.o_bytes);
  const DeviceBuffer lse = zeroed(rows * sizeof(float));
  const size_t parts = split ? rows * static_cast<size_t>(used.num_splits) : 0;
  const DeviceBuffer partial_acc = zeroed(parts * static_cast<size_t>(pr.dv) * sizeof(float));
  const DeviceBuffer partial_max = zeroed(parts * sizeof(float));
  const DeviceBuffer partial_sum = zeroed(parts * sizeof(float));

  FlashParams p{};
  p.q = tensor_arg(pr.q, q);
  p.k = tensor_arg(pr.k, k);
  p.v = tensor_arg(pr.v, v);
  if (pr.has_mask) p.mask = tensor_arg(pr.mask, mask);
  p.o = o.as<unsigned char>();
  for (int d = 0; d < 4; ++d) p.o_stride[d] = pr.o_strides[d];
  p.o_type = static_cast<int>(pr.o_type);
  p.lse = lse.as<float>();
  p.slopes = slopes.as<const float>();
  p.sinks = pr.sinks.empty() ? nullptr : sinks.as<const float>();
  p.batch = static_cast<int>(pr.batch);
  p.hq = static_cast<int>(pr.hq);
  p.hkv = static_cast<int>(pr.hkv);
  p.lq = static_cast<int>(pr.lq);
  p.lk = static_cast<int>(pr.lk);
  p.dk = static_cast<int>(pr.dk);
  p.dv = static_cast<int>(pr.dv);
  p.structural = static_cast<int>(pr.structural);
  p.window = pr.window;
  p.scale = pr.scale;
  p.softcap = pr.softcap;
  p.alibi = pr.alibi ? 1 : 0;
  p.num_splits = used.num_splits;
  p.keys_per_split = used.keys_per_split;
  p.partial_acc = partial_acc.as<float>();
  p.partial_max = partial_max.as<float>();
  p.partial_sum = partial_sum.as<float>();

  const cudaStream_t stream = nullptr;  // the legacy default stream: every call below is ordered
  if (split) {
    check(launch_split_partials(p, stream), "launching the split partial kernel");
    check(launch_merge_splits(p, !switches.merge_no_rescale, stream), "launching the merge kernel");
  } else {
    const Accumulation accumulation = variant == KernelVariant::fp16acc ? Accumulation::fp16 : Accumulation::fp32;
    check(launch_flash_forward(p, accumulation, switches.max_lane0, stream), "launching the flash kernel");
  }
  check(cudaDeviceSynchronize(), "running the kernels");
  check(cudaMemcpy(pr.o, o.as<void>(), pr.o_bytes, cudaMemcpyDeviceToHost), "cudaMemcpy of O");
  check(cudaMemcpy(pr.lse, lse.as<void>(), rows * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy of LSE");
}

}  // namespace flashcheck::cuda
