#include "impls/opencl/cl_runtime.hpp"

#include <functional>
#include <vector>

#include <fmt/format.h>

#include "impls/opencl/cl_errors.hpp"

namespace flashcheck::opencl {
namespace {

template <class Getter>
std::string info_string(Getter get) {
  size_t size = 0;
  if (get(0, nullptr, &size) != CL_SUCCESS || size == 0) return "?";
  std::string s(size, '\0');
  if (get(size, s.data(), nullptr) != CL_SUCCESS) return "?";
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

std::string device_string(cl_device_id d, cl_device_info what) {
  return info_string([&](size_t n, void* p, size_t* got) { return clGetDeviceInfo(d, what, n, p, got); });
}

std::string platform_string(cl_platform_id p, cl_platform_info what) {
  return info_string([&](size_t n, void* out, size_t* got) { return clGetPlatformInfo(p, what, n, out, got); });
}

// The first device of `type` on any platform, with its platform.
std::pair<cl_platform_id, cl_device_id> first_device(const std::vector<cl_platform_id>& platforms,
                                                     cl_device_type type) {
  for (cl_platform_id p : platforms) {
    cl_device_id d = nullptr;
    cl_uint n = 0;
    if (clGetDeviceIDs(p, type, 1, &d, &n) == CL_SUCCESS && n > 0) return {p, d};
  }
  return {nullptr, nullptr};
}

std::string build_log(cl_program program, cl_device_id device) {
  return info_string([&](size_t n, void* p, size_t* got) {
    return clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, n, p, got);
  });
}

}  // namespace

ClRuntime& ClRuntime::instance() {
  static ClRuntime runtime;
  return runtime;
}

ClRuntime::ClRuntime() {
  try {
    discover();
  } catch (const ClError& e) {
    why_not_ = e.what();
  }
}

void ClRuntime::discover() {
  cl_uint n_platforms = 0;
  const cl_int status = clGetPlatformIDs(0, nullptr, &n_platforms);
  if (status != CL_SUCCESS || n_platforms == 0) {
    why_not_ = fmt::format("no OpenCL platform (clGetPlatformIDs: {})",
                           status != CL_SUCCESS ? cl_error_name(status) : std::string("0 platforms"));
    return;
  }
  std::vector<cl_platform_id> platforms(n_platforms);
  cl_check(clGetPlatformIDs(n_platforms, platforms.data(), nullptr), "clGetPlatformIDs");

  auto [platform, device] = first_device(platforms, CL_DEVICE_TYPE_GPU);
  if (!device) std::tie(platform, device) = first_device(platforms, CL_DEVICE_TYPE_ALL);
  if (!device) {
    why_not_ = fmt::format("no OpenCL device on {} platform(s)", n_platforms);
    return;
  }
  cl_bool compiler = CL_FALSE;
  cl_check(clGetDeviceInfo(device, CL_DEVICE_COMPILER_AVAILABLE, sizeof compiler, &compiler, nullptr),
           "clGetDeviceInfo(CL_DEVICE_COMPILER_AVAILABLE)");
  if (!compiler) {
    why_not_ = fmt::format("OpenCL device {} has no compiler (kernels are built from source)",
                           device_string(device, CL_DEVICE_NAME));
    return;
  }
  cl_ulong local_mem = 0;
  cl_check(clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, nullptr),
           "clGetDeviceInfo(CL_DEVICE_LOCAL_MEM_SIZE)");
  local_mem_bytes_ = static_cast<size_t>(local_mem);

  cl_int err = CL_SUCCESS;
  context_ = ClContext(clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err));
  cl_check(err, "clCreateContext");
  queue_ = ClQueue(clCreateCommandQueue(context_.get(), device, 0, &err));
  cl_check(err, "clCreateCommandQueue");
  device_ = device;
  description_ = fmt::format("{} ({}, {})", device_string(device, CL_DEVICE_NAME),
                             platform_string(platform, CL_PLATFORM_NAME),
                             device_string(device, CL_DEVICE_OPENCL_C_VERSION));
  ready_ = true;
}

cl_program ClRuntime::program(const std::string& source, const std::string& options) {
  const auto key = std::pair{std::hash<std::string>{}(source), options};
  if (auto it = programs_.find(key); it != programs_.end()) return it->second.get();

  const char* text = source.c_str();
  const size_t length = source.size();
  cl_int err = CL_SUCCESS;
  ClProgram program(clCreateProgramWithSource(context_.get(), 1, &text, &length, &err));
  cl_check(err, "clCreateProgramWithSource");
  err = clBuildProgram(program.get(), 1, &device_, options.c_str(), nullptr, nullptr);
  if (err != CL_SUCCESS)
    throw ClBuildError(fmt::format("clBuildProgram failed: {} with options '{}'\n{}", cl_error_name(err), options,
                                   build_log(program.get(), device_)));
  return programs_.emplace(key, std::move(program)).first->second.get();
}

cl_kernel ClRuntime::kernel(const std::string& source, const std::string& options, const std::string& name) {
  if (!ready_) throw std::runtime_error("OpenCL is not available: " + why_not_);
  const cl_program prog = program(source, options);
  const auto key = std::pair{prog, name};
  if (auto it = kernels_.find(key); it != kernels_.end()) return it->second.get();
  cl_int err = CL_SUCCESS;
  ClKernel k(clCreateKernel(prog, name.c_str(), &err));
  cl_check(err, "clCreateKernel(" + name + ")");
  return kernels_.emplace(key, std::move(k)).first->second.get();
}

}  // namespace flashcheck::opencl
