#pragma once
// Row work of a kernel that holds Q and the output accumulator in fp32: Q decode,
// q.k dot products with lanes over the head dimension and one horizontal sum, the
// rescale and p * v update of the accumulator, and the final O = acc / l store.
// Instantiated per ISA (see vector_math.hpp for why Ops is TU-local).
//
// Ops adds to the vector math primitives: kLanes, zero, load / store (float*,
// unaligned), load_row<T>(row, d, count) (count <= kLanes elements decoded from
// storage type T, lanes past count zero) and store_row<T>(row, d, count, v)
// (rounded to T to nearest even), reduce_add.
#include <cstdint>

#include "impls/cpu_simd/kernel_args.hpp"

namespace flashcheck::cpu_simd {

template <class Ops>
struct F32Rows {
  using QElem = float;
  using AccElem = float;
  using F = typename Ops::F;
  static constexpr int64_t kLanes = Ops::kLanes;

  static int64_t lanes_left(int64_t n, int64_t d) { return n - d < kLanes ? n - d : kLanes; }

  // Q row into q, zero-padded to a whole number of vectors.
  static void load_q(ElemType type, RowRef row, int64_t n, float* q) { kLoadQ[static_cast<int>(type)](row, n, q); }

  template <ElemType T>
  static float dot(const float* q, RowRef k, int64_t n) {
    F sum = Ops::zero();
    for (int64_t d = 0; d < n; d += kLanes)
      sum = Ops::fma(Ops::load(q + d), Ops::template load_row<T>(k, d, lanes_left(n, d)), sum);
    return Ops::reduce_add(sum);
  }

  static void zero(float* acc, int64_t n) {
    for (int64_t d = 0; d < n; d += kLanes) Ops::store(acc + d, Ops::zero());
  }

  static void scale(float* acc, float alpha, int64_t n) {
    const F a = Ops::set1(alpha);
    for (int64_t d = 0; d < n; d += kLanes) Ops::store(acc + d, Ops::mul(Ops::load(acc + d), a));
  }

  // acc += p * v; the padding lanes of acc stay zero (v's are loaded as zero).
  template <ElemType T>
  static void add_scaled(float* acc, float p, RowRef v, int64_t n) {
    const F pv = Ops::set1(p);
    for (int64_t d = 0; d < n; d += kLanes)
      Ops::store(acc + d, Ops::fma(pv, Ops::template load_row<T>(v, d, lanes_left(n, d)), Ops::load(acc + d)));
  }

  // O = acc / l, rounded once into the output type.
  static void store_output(const float* acc, float l, ElemType type, OutRow o, int64_t n) {
    kStoreO[static_cast<int>(type)](acc, l, o, n);
  }

  static void store_zeros(ElemType type, OutRow o, int64_t n) { kStoreZeros[static_cast<int>(type)](o, n); }

 private:
  template <ElemType T>
  static void load_q_as(RowRef row, int64_t n, float* q) {
    for (int64_t d = 0; d < n; d += kLanes) Ops::store(q + d, Ops::template load_row<T>(row, d, lanes_left(n, d)));
  }

  template <ElemType T>
  static void store_o_as(const float* acc, float l, OutRow o, int64_t n) {
    const F lv = Ops::set1(l);
    for (int64_t d = 0; d < n; d += kLanes)
      Ops::template store_row<T>(o, d, lanes_left(n, d), Ops::div(Ops::load(acc + d), lv));
  }

  template <ElemType T>
  static void store_zeros_as(OutRow o, int64_t n) {
    for (int64_t d = 0; d < n; d += kLanes) Ops::template store_row<T>(o, d, lanes_left(n, d), Ops::zero());
  }

  using LoadQ = void (*)(RowRef, int64_t, float*);
  using StoreO = void (*)(const float*, float, OutRow, int64_t);
  using StoreZeros = void (*)(OutRow, int64_t);
  static constexpr LoadQ kLoadQ[kElemTypeCount] = {&load_q_as<ElemType::f32>, &load_q_as<ElemType::f16>,
                                                   &load_q_as<ElemType::bf16>};
  static constexpr StoreO kStoreO[kElemTypeCount] = {&store_o_as<ElemType::f32>, &store_o_as<ElemType::f16>,
                                                     &store_o_as<ElemType::bf16>};
  static constexpr StoreZeros kStoreZeros[kElemTypeCount] = {
      &store_zeros_as<ElemType::f32>, &store_zeros_as<ElemType::f16>, &store_zeros_as<ElemType::bf16>};
};

// y[i] = Fn(x[i]) for i < n, a vector at a time (tails through the partial loads).
template <class Ops, typename Ops::F (*Fn)(typename Ops::F)>
void map_floats(const float* x, float* y, int64_t n) {
  const RowRef in{reinterpret_cast<const std::byte*>(x), 1};
  const OutRow out{reinterpret_cast<std::byte*>(y), 1};
  for (int64_t d = 0; d < n; d += Ops::kLanes) {
    const int64_t count = n - d < Ops::kLanes ? n - d : Ops::kLanes;
    Ops::template store_row<ElemType::f32>(out, d, count, Fn(Ops::template load_row<ElemType::f32>(in, d, count)));
  }
}

}  // namespace flashcheck::cpu_simd
