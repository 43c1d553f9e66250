#pragma once
// A case as the kernels see it (kernel_args.hpp): views of the case's storage, the
// options, and the output buffers, allocated here in the case's O dtype.
#include <vector>

#include "core/backend.hpp"
#include "impls/cpu_simd/kernel_args.hpp"

namespace flashcheck::cpu_simd {

class KernelView {
 public:
  // Allocates out (O contiguous in c.o_type, one LSE per row) and points the args at it.
  KernelView(const AttentionCase& c, RunOutput& out, MaxReduction reduction);
  KernelView(const KernelView&) = delete;
  KernelView& operator=(const KernelView&) = delete;

  const KernelArgs& args() const { return args_; }
  int64_t rows() const { return args_.batch * args_.hq * args_.lq; }

 private:
  std::vector<float> slopes_;
  KernelArgs args_;
};

ElemType elem_type(DType t);
StructuralMask structural_mask(MaskKind k);

}  // namespace flashcheck::cpu_simd
