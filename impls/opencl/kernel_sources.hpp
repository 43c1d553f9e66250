#pragma once
// The .cl files of impls/opencl/kernels/, embedded into the library at build time
// (embed_kernels.cmake writes them into a generated .cpp).
#include <span>
#include <string>
#include <string_view>

namespace flashcheck::opencl {

struct KernelSourceFile {
  std::string_view name;  // file name, e.g. "fa_common.cl"
  std::string_view text;
};

// Every embedded file, in the order a program concatenates them (fa_common.cl first).
std::span<const KernelSourceFile> kernel_source_files();

// The flash-attention program: every file above, concatenated in order.
const std::string& flash_attention_program_source();

}  // namespace flashcheck::opencl
