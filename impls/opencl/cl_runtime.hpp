#pragma once
// The process-wide OpenCL runtime: device discovery (once), the context and queue on
// that device, and the program cache. Program builds are slow (seconds on PoCL), so
// every (source, build options) pair is built once per process and kept.
#include <CL/cl.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "impls/opencl/cl_handles.hpp"

namespace flashcheck::opencl {

// A program that failed to build: the status and the compiler's log.
class ClBuildError : public std::runtime_error {
 public:
  explicit ClBuildError(const std::string& what) : std::runtime_error(what) {}
};

class ClRuntime {
 public:
  // The runtime on the first GPU of any platform, else the first device of any type.
  static ClRuntime& instance();

  bool ready() const { return ready_; }
  // Why there is no usable device (empty when ready()).
  const std::string& unavailable_reason() const { return why_not_; }
  // "<device> (<platform>, <OpenCL C version>)".
  const std::string& device_description() const { return description_; }
  size_t local_mem_bytes() const { return local_mem_bytes_; }

  cl_context context() const { return context_.get(); }
  cl_command_queue queue() const { return queue_.get(); }

  // Serialises users of the shared queue and of the cached kernels' arguments.
  std::mutex& mutex() { return mutex_; }

  // The kernel `name` of the program built from (source, options); builds on first
  // use. Throws ClBuildError with the build log, or ClError. Call with mutex() held.
  cl_kernel kernel(const std::string& source, const std::string& options, const std::string& name);
  // How many distinct programs this process has built so far.
  size_t programs_built() const { return programs_.size(); }

 private:
  ClRuntime();
  void discover();
  cl_program program(const std::string& source, const std::string& options);

  bool ready_ = false;
  std::string why_not_;
  std::string description_;
  size_t local_mem_bytes_ = 0;
  cl_device_id device_ = nullptr;
  ClContext context_;
  ClQueue queue_;
  std::mutex mutex_;
  std::map<std::pair<size_t, std::string>, ClProgram> programs_;  // (source hash, options)
  std::map<std::pair<cl_program, std::string>, ClKernel> kernels_;
};

}  // namespace flashcheck::opencl
