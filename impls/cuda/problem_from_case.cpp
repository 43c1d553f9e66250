#include "impls/cuda/problem_from_case.hpp"

#include <array>
#include <stdexcept>

namespace flashcheck::cuda {
namespace {

// Indexed by DType (f32, f16, bf16).
constexpr std::array<StorageType, 3> kStorageOf{StorageType::f32, StorageType::f16, StorageType::bf16};

// Indexed by MaskKind (none, causal, window, explicit_only); the explicit tensor travels apart.
constexpr std::array<StructuralMask, 4> kStructuralOf{StructuralMask::none, StructuralMask::causal,
                                                      StructuralMask::window, StructuralMask::none};

HostTensor host_tensor(const Tensor& t) {
  HostTensor h;
  h.data = t.data();
  h.bytes = t.storage.size();
  for (size_t d = 0; d < 4; ++d) h.strides[d] = t.strides[d];
  h.type = storage_type(t.dtype);
  return h;
}

}  // namespace

StorageType storage_type(DType t) { return kStorageOf.at(static_cast<size_t>(t)); }

DeviceProblem describe_for_device(const AttentionCase& c, RunOutput& out) {
  const CaseShape& s = c.shape;
  if (out.o.shape != Dims{s.batch, s.hq, s.lq, s.dv} || out.o.dtype != c.o_type ||
      static_cast<int64_t>(out.lse.size()) != s.batch * s.hq * s.lq)
    throw std::invalid_argument("the output buffers do not match the case");

  DeviceProblem p;
  p.batch = s.batch;
  p.hq = s.hq;
  p.hkv = s.hkv;
  p.lq = s.lq;
  p.lk = s.lk;
  p.dk = s.dk;
  p.dv = s.dv;
  p.q = host_tensor(c.q);
  p.k = host_tensor(c.k);
  p.v = host_tensor(c.v);
  p.has_mask = c.mask.has_value();
  if (p.has_mask) p.mask = host_tensor(*c.mask);
  p.structural = kStructuralOf.at(static_cast<size_t>(c.mask_kind));
  p.window = c.window;
  p.scale = c.scale;
  p.softcap = c.softcap;
  p.alibi = c.uses_alibi();
  p.slopes.resize(static_cast<size_t>(s.hq));
  for (int64_t h = 0; h < s.hq; ++h) p.slopes[static_cast<size_t>(h)] = c.slope(h);
  p.sinks = c.sinks;

  p.o = out.o.data();
  p.o_bytes = out.o.storage.size();
  for (size_t d = 0; d < 4; ++d) p.o_strides[d] = out.o.strides[d];
  p.o_type = storage_type(out.o.dtype);
  p.lse = out.lse.data();
  return p;
}

}  // namespace flashcheck::cuda
