#include "impls/cpu_simd/kernel_view.hpp"

#include <array>

namespace flashcheck::cpu_simd {
namespace {

static_assert(static_cast<int>(DType::f32) == static_cast<int>(ElemType::f32) &&
                  static_cast<int>(DType::f16) == static_cast<int>(ElemType::f16) &&
                  static_cast<int>(DType::bf16) == static_cast<int>(ElemType::bf16),
              "ElemType numbers the storage types as DType does");

// Indexed by MaskKind: an explicit-only mask has no structural part.
constexpr std::array<StructuralMask, 4> kStructural{StructuralMask::none, StructuralMask::causal,
                                                    StructuralMask::window, StructuralMask::none};

StridedTensor view_of(const Tensor& t) {
  return {t.data(), elem_type(t.dtype), {t.strides[0], t.strides[1], t.strides[2], t.strides[3]}};
}

}  // namespace

ElemType elem_type(DType t) { return static_cast<ElemType>(t); }

StructuralMask structural_mask(MaskKind k) { return kStructural.at(static_cast<size_t>(k)); }

KernelView::KernelView(const AttentionCase& c, RunOutput& out, MaxReduction reduction) : args_{} {
  const CaseShape& s = c.shape;
  out.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
  out.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
  if (c.uses_alibi()) {
    slopes_.resize(static_cast<size_t>(s.hq));
    for (int64_t h = 0; h < s.hq; ++h) slopes_[static_cast<size_t>(h)] = c.slope(h);
  }

  KernelArgs& a = args_;
  a.batch = s.batch;
  a.hq = s.hq;
  a.hkv = s.hkv;
  a.lq = s.lq;
  a.lk = s.lk;
  a.dk = s.dk;
  a.dv = s.dv;
  a.q = view_of(c.q);
  a.k = view_of(c.k);
  a.v = view_of(c.v);
  if (c.mask) {
    a.mask_data = c.mask->data();
    a.mask_type = elem_type(c.mask->dtype);
    a.mask_strides[0] = c.mask->strides[2];
    a.mask_strides[1] = c.mask->strides[3];
  }
  a.structural = structural_mask(c.mask_kind);
  a.window = c.window;
  a.scale = c.scale;
  a.softcap = c.softcap;
  a.slopes = slopes_.empty() ? nullptr : slopes_.data();
  a.sinks = c.has_sinks() ? c.sinks.data() : nullptr;
  a.o = {out.o.data(), elem_type(c.o_type), {out.o.strides[0], out.o.strides[1], out.o.strides[2], out.o.strides[3]}};
  a.lse = out.lse.data();
  a.max_reduction = reduction;
}

}  // namespace flashcheck::cpu_simd
