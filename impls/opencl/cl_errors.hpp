#pragma once
// OpenCL status codes as names and as exceptions: every failing call is reported by
// the name of its status and the call that returned it.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flashcheck::opencl {

// The symbolic name of an OpenCL status ("CL_INVALID_KERNEL_ARGS"), every code of the
// core API 1.0 to 3.0 and the Khronos/vendor extension codes the ICD loaders return;
// "unknown OpenCL status <code>" otherwise.
std::string cl_error_name(int32_t status);

class ClError : public std::runtime_error {
 public:
  ClError(int32_t status, std::string_view call);
  int32_t status() const { return status_; }

 private:
  int32_t status_;
};

// Throws ClError naming `call` unless status is CL_SUCCESS.
void cl_check(int32_t status, std::string_view call);

}  // namespace flashcheck::opencl
