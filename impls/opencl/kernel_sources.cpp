#include "impls/opencl/kernel_sources.hpp"

namespace flashcheck::opencl {

const std::string& flash_attention_program_source() {
  static const std::string source = [] {
    std::string s;
    for (const KernelSourceFile& f : kernel_source_files()) {
      s += "// ---- ";
      s += f.name;
      s += "\n";
      s += f.text;
      s += "\n";
    }
    return s;
  }();
  return source;
}

}  // namespace flashcheck::opencl
