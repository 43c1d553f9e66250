#pragma once
// The flash-attention loop shared by every vectorised CPU subject: per query row,
// keys are taken in blocks of one vector's lanes; the block's scores sit in one
// register (scale, softcap, bias applied lane-parallel), one horizontal max moves
// the running maximum, one vector exp gives the weights, and the accumulator is
// rescaled once per block before the block's value rows are added.
//
// Ops: the ISA's f32 vector primitives (vector_math.hpp, f32_rows.hpp) plus
// reduce_max and first_lane. Rows: the row work and its element types (F32Rows, or
// an fp16-arithmetic variant). Both are local to one translation unit.
#include <cstdint>
#include <utility>

#include "impls/cpu_simd/kernel_args.hpp"
#include "impls/cpu_simd/vector_math.hpp"

namespace flashcheck::cpu_simd {

template <class Ops, class Rows>
class FlashKernel {
 public:
  using QElem = typename Rows::QElem;
  using AccElem = typename Rows::AccElem;

  // Query rows [begin, end) of the flattened [batch][hq][lq] index space. q_row and
  // acc are the caller's scratch: at least dk and dv rounded up to 16 elements.
  static void run(const KernelArgs& a, int64_t begin, int64_t end, QElem* q_row, AccElem* acc) {
    const int variant =
        (static_cast<int>(a.max_reduction) * kElemTypeCount + static_cast<int>(a.k.type)) * kElemTypeCount +
        static_cast<int>(a.v.type);
    kVariants.fn[variant](a, begin, end, q_row, acc);
  }

 private:
  using F = typename Ops::F;
  static constexpr int64_t kLanes = Ops::kLanes;
  // A finite start for the running maximum: m - m_new stays a number when the first
  // block's maximum arrives, where -inf - (-inf) would be NaN.
  static constexpr float kMaxSentinel = -__FLT_MAX__;
  static constexpr float kNegInf = -__builtin_inff();

  struct KeyRange {
    int64_t begin, end;
  };

  // Keys the structural mask leaves visible to the query at absolute position pos.
  static KeyRange visible_keys(const KernelArgs& a, int64_t pos) {
    const int64_t causal_end = pos + 1 < a.lk ? pos + 1 : a.lk;
    switch (a.structural) {
      case StructuralMask::none:
        return {0, a.lk};
      case StructuralMask::causal:
        return {0, causal_end};
      case StructuralMask::window:
        return {pos - a.window + 1 > 0 ? pos - a.window + 1 : 0, causal_end};
    }
    return {0, a.lk};
  }

  static RowRef row_of(const StridedTensor& t, int64_t i0, int64_t i1, int64_t i2) {
    const int64_t offset = i0 * t.strides[0] + i1 * t.strides[1] + i2 * t.strides[2];
    return {t.data + offset * kElemBytes[static_cast<int>(t.type)], t.strides[3]};
  }

  static OutRow out_row_of(const OutputTensor& t, int64_t i0, int64_t i1, int64_t i2) {
    const int64_t offset = i0 * t.strides[0] + i1 * t.strides[1] + i2 * t.strides[2];
    return {t.data + offset * kElemBytes[static_cast<int>(t.type)], t.strides[3]};
  }

  template <MaxReduction R>
  static float block_max(F s) {
    if constexpr (R == MaxReduction::lane0) return Ops::first_lane(s);
    return Ops::reduce_max(s);
  }

  static float exp_scalar(float x) { return Ops::first_lane(exp_ps<Ops>(Ops::set1(x))); }

  template <ElemType T>
  static F load_mask_as(RowRef row, int64_t j, int64_t count) {
    return Ops::template load_row<T>(row, j, count);
  }
  using MaskLoader = F (*)(RowRef, int64_t, int64_t);
  static constexpr MaskLoader kMaskLoaders[kElemTypeCount] = {
      &load_mask_as<ElemType::f32>, &load_mask_as<ElemType::f16>, &load_mask_as<ElemType::bf16>};

  template <ElemType KT, ElemType VT, MaxReduction R>
  static void rows(const KernelArgs& a, int64_t begin, int64_t end, QElem* q_row, AccElem* acc) {
    for (int64_t row = begin; row < end; ++row) one_row<KT, VT, R>(a, row, q_row, acc);
  }

  template <ElemType KT, ElemType VT, MaxReduction R>
  static void one_row(const KernelArgs& a, int64_t row, QElem* q, AccElem* acc) {
    const int64_t i = row % a.lq;
    const int64_t h = (row / a.lq) % a.hq;
    const int64_t b = row / (a.lq * a.hq);
    const int64_t kv_h = h / (a.hq / a.hkv);
    const int64_t pos = i + a.lk - a.lq;  // absolute position of the query (decode offset)
    const KeyRange keys = visible_keys(a, pos);
    const bool alibi = a.slopes != nullptr;
    const F slope = Ops::set1(alibi ? a.slopes[h] : 1.0f);
    const F scale = Ops::set1(a.scale);
    const F softcap = Ops::set1(a.softcap);
    const RowRef mask_row{
        a.mask_data ? a.mask_data + i * a.mask_strides[0] * kElemBytes[static_cast<int>(a.mask_type)] : nullptr,
        a.mask_strides[1]};

    Rows::load_q(a.q.type, row_of(a.q, b, h, i), a.dk, q);
    Rows::zero(acc, a.dv);
    float m = kMaxSentinel;  // running maximum score
    float l = 0.0f;          // running denominator, relative to exp(m)

    for (int64_t j0 = keys.begin; j0 < keys.end; j0 += kLanes) {
      const int64_t n = keys.end - j0 < kLanes ? keys.end - j0 : kLanes;
      alignas(64) float mask_values[kLanes];
      alignas(64) float dots[kLanes];    // q . k per lane
      alignas(64) float bias[kLanes];    // explicit mask + ALiBi position bias; 0 where hidden
      alignas(64) float hidden[kLanes];  // -inf where the key is hidden, else 0
      alignas(64) float weights[kLanes];
      Ops::store(mask_values, a.mask_data ? kMaskLoaders[static_cast<int>(a.mask_type)](mask_row, j0, n) : Ops::zero());
      int64_t visible = 0;
      for (int64_t t = 0; t < kLanes; ++t) {
        dots[t] = 0.0f;
        bias[t] = 0.0f;
        hidden[t] = kNegInf;
        // Hidden keys are never read: their storage may hold inf or NaN.
        if (t >= n || mask_values[t] == kNegInf) continue;
        const int64_t j = j0 + t;
        const int64_t distance = pos > j ? pos - j : j - pos;
        bias[t] = alibi ? mask_values[t] - static_cast<float>(distance) : mask_values[t];
        hidden[t] = 0.0f;
        dots[t] = Rows::template dot<KT>(q, row_of(a.k, b, kv_h, j), a.dk);
        ++visible;
      }
      if (visible == 0) continue;  // a fully masked block adds nothing

      F s = Ops::mul(Ops::load(dots), scale);
      if (a.softcap > 0.0f) s = Ops::mul(softcap, tanh_ps<Ops>(Ops::div(s, softcap)));
      s = Ops::add(Ops::fma(slope, Ops::load(bias), s), Ops::load(hidden));

      const float s_max = block_max<R>(s);
      const float m_new = m > s_max ? m : s_max;
      const float alpha = exp_scalar(m - m_new);  // exactly 1 when the maximum did not move
      const F p = exp_ps<Ops>(Ops::sub(s, Ops::set1(m_new)));
      l = l * alpha + Ops::reduce_add(p);
      Ops::store(weights, p);
      if (alpha != 1.0f) Rows::scale(acc, alpha, a.dv);
      for (int64_t t = 0; t < n; ++t)
        if (hidden[t] == 0.0f) Rows::template add_scaled<VT>(acc, weights[t], row_of(a.v, b, kv_h, j0 + t), a.dv);
      m = m_new;
    }

    if (a.sinks != nullptr) {
      // The sink joins the denominator only: it has no value row.
      const float sink = a.sinks[h];
      const float m_new = m > sink ? m : sink;
      const float alpha = exp_scalar(m - m_new);
      Rows::scale(acc, alpha, a.dv);
      l = l * alpha + exp_scalar(sink - m_new);
      m = m_new;
    }

    const OutRow o = out_row_of(a.o, b, h, i);
    if (l == 0.0f) {  // no visible key and no sink: O = 0, LSE = -inf
      Rows::store_zeros(a.o.type, o, a.dv);
      a.lse[row] = kNegInf;
      return;
    }
    Rows::store_output(acc, l, a.o.type, o, a.dv);
    a.lse[row] = m + __builtin_logf(l);
  }

  using RowsFn = void (*)(const KernelArgs&, int64_t, int64_t, QElem*, AccElem*);
  static constexpr int kVariantCount = kMaxReductionCount * kElemTypeCount * kElemTypeCount;
  struct VariantTable {
    RowsFn fn[kVariantCount];
  };

  // Every (max reduction, K type, V type) instantiation, indexed as run() computes it.
  template <int... I>
  static constexpr VariantTable make_variants(std::integer_sequence<int, I...>) {
    return {
        {&rows<static_cast<ElemType>(I / kElemTypeCount % kElemTypeCount), static_cast<ElemType>(I % kElemTypeCount),
               static_cast<MaxReduction>(I / (kElemTypeCount * kElemTypeCount))>...}};
  }
  static constexpr VariantTable kVariants = make_variants(std::make_integer_sequence<int, kVariantCount>{});
};

}  // namespace flashcheck::cpu_simd
