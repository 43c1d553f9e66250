#pragma once
// Vectorised expf and tanhf, written once over an ISA's primitive operations (Ops)
// and instantiated per ISA. Ops is always a type local to one translation unit, so
// each instantiation stays private to the ISA it was compiled for.
//
// Ops provides, for an f32 vector F and an int32 vector I of the same lane count:
//   set1, add, sub, mul, div, fma(a, b, c) = a * b + c, abs, copy_sign(magnitude, sign),
//   clamp(x, lo, hi) (NaN stays NaN), round_nearest, to_int (of an integral F),
//   half_floor(I) (arithmetic shift right by 1), isub(I, I), exp2i(I) (2^n for a
//   normal exponent n), select_less(a, b, t, f) = a < b ? t : f.

namespace flashcheck::cpu_simd {

// e^x to about 1 ulp (Cephes' expf polynomial on [-ln2/2, ln2/2]), over the whole
// f32 range: overflow gives +inf, results in the subnormal range are rounded once,
// -inf gives 0. The scaling by 2^n is split in two factors so that n from -159 to
// 129 never leaves the normal exponent range of either factor.
template <class Ops>
typename Ops::F exp_ps(typename Ops::F x) {
  using F = typename Ops::F;
  x = Ops::clamp(x, Ops::set1(-110.0f), Ops::set1(89.0f));
  const F n = Ops::round_nearest(Ops::mul(x, Ops::set1(1.44269504088896341f)));
  // ln2 = 0.693359375 - 2.12194440e-4: the high part has 9 bits, so n * hi is exact.
  F r = Ops::fma(n, Ops::set1(-0.693359375f), x);
  r = Ops::fma(n, Ops::set1(2.12194440e-4f), r);
  F y = Ops::set1(1.9875691500e-4f);
  y = Ops::fma(y, r, Ops::set1(1.3981999507e-3f));
  y = Ops::fma(y, r, Ops::set1(8.3334519073e-3f));
  y = Ops::fma(y, r, Ops::set1(4.1665795894e-2f));
  y = Ops::fma(y, r, Ops::set1(1.6666665459e-1f));
  y = Ops::fma(y, r, Ops::set1(5.0000001201e-1f));
  y = Ops::add(Ops::fma(y, Ops::mul(r, r), r), Ops::set1(1.0f));
  const auto ni = Ops::to_int(n);
  const auto n_low = Ops::half_floor(ni);
  const auto n_high = Ops::isub(ni, n_low);
  return Ops::mul(Ops::mul(y, Ops::exp2i(n_low)), Ops::exp2i(n_high));
}

// tanh(x): Cephes' odd polynomial below |x| = 0.625, 1 - 2 / (e^{2|x|} + 1) above
// (e^{2|x|} = inf past 44 gives exactly 1), sign restored.
template <class Ops>
typename Ops::F tanh_ps(typename Ops::F x) {
  using F = typename Ops::F;
  const F ax = Ops::abs(x);
  const F s = Ops::mul(x, x);
  F p = Ops::set1(-5.70498872745e-3f);
  p = Ops::fma(p, s, Ops::set1(2.06390887954e-2f));
  p = Ops::fma(p, s, Ops::set1(-5.37397155531e-2f));
  p = Ops::fma(p, s, Ops::set1(1.33314422036e-1f));
  p = Ops::fma(p, s, Ops::set1(-3.33332819422e-1f));
  const F small = Ops::fma(Ops::mul(p, s), x, x);
  const F e = exp_ps<Ops>(Ops::add(ax, ax));
  const F large = Ops::sub(Ops::set1(1.0f), Ops::div(Ops::set1(2.0f), Ops::add(e, Ops::set1(1.0f))));
  return Ops::select_less(ax, Ops::set1(0.625f), small, Ops::copy_sign(large, x));
}

}  // namespace flashcheck::cpu_simd
