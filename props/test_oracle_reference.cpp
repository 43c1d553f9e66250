// Checks of the MPFR reference itself, so that agreement with it means something:
// its rounding against hardware conversion and exhaustive format enumeration, and
// its arithmetic against a naive long double evaluation of the same cases.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "core/attention_case.hpp"
#include "props/support/mpfr_reference.hpp"

namespace flashcheck {
namespace {

using reference::mpfr_reference;
using reference::mpfr_round_to;

std::string show(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", x, x);
  return buf;
}

// A binary16-style format written out independently of core/dtype: the value of a
// positive bit pattern, for enumerating every representable number.
struct SmallFormat {
  DType type;
  int exponent_bits;
  int mantissa_bits;
  double value(uint32_t bits) const {
    const uint32_t mantissa = bits & ((1u << mantissa_bits) - 1);
    const int biased = static_cast<int>(bits >> mantissa_bits);
    const int bias = (1 << (exponent_bits - 1)) - 1;
    if (biased == 0) return std::ldexp(static_cast<double>(mantissa), 1 - bias - mantissa_bits);
    return std::ldexp(static_cast<double>(mantissa + (1u << mantissa_bits)), biased - bias - mantissa_bits);
  }
  uint32_t finite_patterns() const { return ((1u << exponent_bits) - 1) << mantissa_bits; }
};

void expect_exhaustive_rounding(const SmallFormat& f) {
  const double inf = std::numeric_limits<double>::infinity();
  int failures = 0;
  auto check = [&](double x, double want, const char* what) {
    const double got = mpfr_round_to(f.type, x);
    if (std::bit_cast<uint64_t>(got) != std::bit_cast<uint64_t>(want) && ++failures <= 5)
      ADD_FAILURE() << dtype_name(f.type) << " " << what << ": round(" << show(x) << ") = " << show(got)
                    << ", want " << show(want);
  };
  for (uint32_t bits = 0; bits < f.finite_patterns(); ++bits) {
    const double x = f.value(bits);
    check(x, x, "representable");
    check(-x, -x, "representable");
    const bool last = bits + 1 == f.finite_patterns();
    // Above the largest finite value the next "value" is the overflow threshold's twin.
    const double next = last ? 2 * x - f.value(bits - 1) : f.value(bits + 1);
    const double mid = (x + next) / 2;  // exact in double
    const double even = (bits & 1u) == 0 ? x : next;
    const double nudge = std::ldexp(next - x, -20);
    check(mid, last ? inf : even, "midpoint");
    check(-mid, last ? -inf : -even, "midpoint");
    check(mid - nudge, x, "below midpoint");
    check(mid + nudge, last ? inf : next, "above midpoint");
  }
  EXPECT_EQ(failures, 0);
}

TEST(MpfrReferenceRounding, F16ExhaustiveNeighbourhoods) { expect_exhaustive_rounding({DType::f16, 5, 10}); }
TEST(MpfrReferenceRounding, BF16ExhaustiveNeighbourhoods) { expect_exhaustive_rounding({DType::bf16, 8, 7}); }

RC_GTEST_PROP(MpfrReferenceRounding, F32MatchesHardwareConversion, ()) {
  // Exponents around the whole f32 range, subnormals and overflow included.
  const auto mantissa = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 52);
  const auto exponent = *rc::gen::inRange(-155, 131);
  const bool negative = *rc::gen::arbitrary<bool>();
  const double x = (negative ? -1.0 : 1.0) * std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -52), exponent);
  const float want = static_cast<float>(x);  // IEEE conversion, round to nearest even
  const float got = mpfr_round_to(DType::f32, x);
  RC_ASSERT(std::bit_cast<uint32_t>(got) == std::bit_cast<uint32_t>(want));
}

TEST(MpfrReferenceRounding, F32TiesAndExtremes) {
  EXPECT_EQ(mpfr_round_to(DType::f32, 1.0 + std::ldexp(1.0, -24)), 1.0f);  // tie to even
  EXPECT_EQ(mpfr_round_to(DType::f32, 1.0 + 3 * std::ldexp(1.0, -24)), 1.0f + std::ldexp(1.0f, -22));
  EXPECT_EQ(mpfr_round_to(DType::f32, std::ldexp(1.0, -150)), 0.0f);  // half the smallest subnormal
  EXPECT_EQ(mpfr_round_to(DType::f32, std::ldexp(1.5, -150)), std::ldexp(1.0f, -149));
  EXPECT_TRUE(std::signbit(mpfr_round_to(DType::f32, -std::ldexp(1.0, -151))));
  // Just above a subnormal midpoint: a 24-bit intermediate would round onto the
  // midpoint and then to even (down); correct single rounding goes up.
  EXPECT_EQ(mpfr_round_to(DType::f32, std::ldexp(1.0 + std::ldexp(1.0, -30), -150)), std::ldexp(1.0f, -149));
  EXPECT_EQ(mpfr_round_to(DType::f32, std::ldexp(1.0 + std::ldexp(1.0, -10) + std::ldexp(1.0, -40), -140)),
            std::ldexp(1.0f, -140) + std::ldexp(1.0f, -149));
  EXPECT_EQ(mpfr_round_to(DType::f32, std::ldexp(2.0 - std::ldexp(1.0, -24), 127)),
            std::numeric_limits<float>::infinity());
}

// ---- The reference's arithmetic against a naive long double evaluation ----

struct SmallCase {
  AttentionCase c;
  FullyMaskedPolicy policy;
};

DType any_dtype() { return *rc::gen::element(DType::f32, DType::f16, DType::bf16); }

// Small dyadic inputs (exact in every dtype) so the naive evaluation sees the same numbers.
Tensor random_tensor(DType t, Dims dims, Layout layout) {
  Tensor x = Tensor::make(t, dims, layout);
  for (int64_t a = 0; a < dims[0]; ++a)
    for (int64_t b = 0; b < dims[1]; ++b)
      for (int64_t i = 0; i < dims[2]; ++i)
        for (int64_t d = 0; d < dims[3]; ++d) x.set(a, b, i, d, *rc::gen::inRange(-24, 25) / 8.0);
  return x;
}

SmallCase random_small_case() {
  SmallCase s;
  AttentionCase& c = s.c;
  const int64_t hkv = *rc::gen::inRange(1, 3);
  c.shape = {*rc::gen::inRange(1, 3), hkv * *rc::gen::inRange(1, 3), hkv,
             *rc::gen::inRange(1, 5), *rc::gen::inRange(1, 13), *rc::gen::inRange(1, 9), *rc::gen::inRange(1, 9)};
  c.shape.lq = std::min(c.shape.lq, c.shape.lk);
  const auto& sh = c.shape;
  c.q_type = any_dtype();
  c.k_type = any_dtype();
  c.v_type = any_dtype();
  const Layout layout = *rc::gen::element(Layout::contiguous, Layout::seq_major, Layout::padded_rows);
  c.q = random_tensor(c.q_type, {sh.batch, sh.hq, sh.lq, sh.dk}, layout);
  c.k = random_tensor(c.k_type, {sh.batch, sh.hkv, sh.lk, sh.dk}, layout);
  c.v = random_tensor(c.v_type, {sh.batch, sh.hkv, sh.lk, sh.dv}, layout);
  c.scale = *rc::gen::element(1.0f, 0.5f, 0.375f);
  c.mask_kind = *rc::gen::element(MaskKind::none, MaskKind::causal, MaskKind::window, MaskKind::explicit_only);
  c.window = *rc::gen::inRange<int64_t>(1, sh.lk + 1);
  if (c.mask_kind == MaskKind::explicit_only || *rc::gen::arbitrary<bool>()) {
    Tensor m = Tensor::make(*rc::gen::element(DType::f32, DType::f16), {1, 1, sh.lq, sh.lk});
    for (int64_t i = 0; i < sh.lq; ++i)
      for (int64_t j = 0; j < sh.lk; ++j)
        m.set(0, 0, i, j,
              *rc::gen::inRange(0, 3) == 0 ? -std::numeric_limits<double>::infinity() : *rc::gen::inRange(-8, 9) / 4.0);
    c.mask = std::move(m);
  }
  if (*rc::gen::arbitrary<bool>()) c.max_bias = *rc::gen::element(1.0f, 8.0f);
  if (*rc::gen::arbitrary<bool>()) c.softcap = *rc::gen::element(2.0f, 20.0f);
  if (*rc::gen::arbitrary<bool>())
    for (int64_t h = 0; h < sh.hq; ++h) c.sinks.push_back(static_cast<float>(*rc::gen::inRange(-16, 17) / 4.0));
  s.policy = *rc::gen::element(FullyMaskedPolicy::zeros_neg_inf_lse, FullyMaskedPolicy::nan);
  return s;
}

RC_GTEST_PROP(MpfrReferenceArithmetic, AgreesWithNaiveLongDouble, ()) {
  const SmallCase s = random_small_case();
  const AttentionCase& c = s.c;
  const auto& sh = c.shape;
  const DType out = any_dtype();
  const auto r = mpfr_reference(c, out, s.policy);
  for (int64_t b = 0; b < sh.batch; ++b)
    for (int64_t h = 0; h < sh.hq; ++h)
      for (int64_t i = 0; i < sh.lq; ++i) {
        const auto row = static_cast<size_t>((b * sh.hq + h) * sh.lq + i);
        std::vector<long double> score;
        std::vector<int64_t> visible;
        for (int64_t j = 0; j < sh.lk; ++j) {
          const double bias = c.bias(i, j);
          if (std::isinf(bias)) continue;
          long double dot = 0;
          for (int64_t d = 0; d < sh.dk; ++d)
            dot += static_cast<long double>(c.q.get(b, h, i, d)) * c.k.get(b, c.kv_head(h), j, d);
          long double sc = dot * c.scale;
          if (c.softcap > 0) sc = c.softcap * std::tanh(sc / c.softcap);
          score.push_back(sc + static_cast<long double>(c.slope(h)) * bias);
          visible.push_back(j);
        }
        const bool masked = visible.empty() && !c.has_sinks();
        RC_ASSERT(r.fully_masked[row] == (masked ? 1 : 0));
        if (masked) {
          const bool nan = s.policy == FullyMaskedPolicy::nan;
          RC_ASSERT((nan ? std::isnan(r.lse[row]) : r.lse[row] == -std::numeric_limits<float>::infinity()));
          for (int64_t col = 0; col < sh.dv; ++col) {
            const float o = r.o[row * static_cast<size_t>(sh.dv) + static_cast<size_t>(col)];
            RC_ASSERT((nan ? std::isnan(o) : o == 0.0f));
          }
          continue;
        }
        long double mx = c.has_sinks() ? c.sinks[static_cast<size_t>(h)] : -INFINITY;
        for (long double sc : score) mx = std::max(mx, sc);
        long double den = c.has_sinks() ? std::exp(c.sinks[static_cast<size_t>(h)] - mx) : 0;
        std::vector<long double> p;
        for (long double sc : score) {
          p.push_back(std::exp(sc - mx));
          den += p.back();
        }
        const long double lse = mx + std::log(den);
        RC_ASSERT(std::fabs(r.lse_wide[row] - lse) <= 1e-15L * (1 + std::fabs(lse)));
        for (int64_t col = 0; col < sh.dv; ++col) {
          long double num = 0, mag = 0;
          for (size_t n = 0; n < p.size(); ++n) {
            const double v = c.v.get(b, c.kv_head(h), visible[n], col);
            num += p[n] * v;
            mag += p[n] * std::fabs(v);
          }
          const auto idx = row * static_cast<size_t>(sh.dv) + static_cast<size_t>(col);
          RC_ASSERT(std::fabs(r.o_wide[idx] - num / den) <= 1e-15L * (1 + mag / den));
        }
      }
}

// ---- Rounding decisions 256 bits cannot see: a perturbation far below 2^-256, or an exact tie ----

// One head, one query of value 1 (f32), keys with a single coordinate: score_j = k_j.
AttentionCase single_query_case(const std::vector<double>& keys, const std::vector<std::vector<double>>& values) {
  AttentionCase c;
  c.shape = {1, 1, 1, 1, static_cast<int64_t>(keys.size()), 1, static_cast<int64_t>(values.front().size())};
  c.q_type = c.k_type = c.v_type = DType::f32;
  c.q = Tensor::make(DType::f32, {1, 1, 1, 1});
  c.k = Tensor::make(DType::f32, {1, 1, c.shape.lk, 1});
  c.v = Tensor::make(DType::f32, {1, 1, c.shape.lk, c.shape.dv});
  c.q.set(0, 0, 0, 0, 1.0);
  for (size_t j = 0; j < keys.size(); ++j) {
    c.k.set(0, 0, static_cast<int64_t>(j), 0, keys[j]);
    for (size_t d = 0; d < values[j].size(); ++d) c.v.set(0, 0, static_cast<int64_t>(j), static_cast<int64_t>(d), values[j][d]);
  }
  return c;
}

TEST(MpfrReferenceTies, DominatedKeysDecideAMidpoint) {
  // O = v0 + e^-2000 (v1 - v0) / (1 + e^-2000): v0 is a bf16 midpoint, and the sign of
  // the invisible perturbation picks the side (round-to-even would pick wrongly).
  const double lower_mid = 1 + std::ldexp(1.0, -8);      // between 1 (even) and 1 + 2^-7
  const double upper_mid = 1 + 3 * std::ldexp(1.0, -8);  // between 1 + 2^-7 and 1 + 2^-6 (even)
  const AttentionCase c = single_query_case({0.0, -2000.0}, {{lower_mid, upper_mid}, {2.0, 0.0}});
  const auto r = mpfr_reference(c, DType::bf16);
  EXPECT_EQ(r.undecided_elements, 0);
  EXPECT_EQ(r.o[0], 1.0f + std::ldexp(1.0f, -7)) << show(r.o[0]);
  EXPECT_EQ(r.o[1], 1.0f + std::ldexp(1.0f, -7)) << show(r.o[1]);
}

TEST(MpfrReferenceTies, FarKeyLiftsAnLseOnAMidpoint) {
  // max score (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 is an f32 midpoint; log1p(e^-1000) > 0 lifts it.
  AttentionCase c = single_query_case({1 + std::ldexp(1.0, -12), -1000.0}, {{1.0}, {1.0}});
  c.q.set(0, 0, 0, 0, 1 + std::ldexp(1.0, -12));
  const auto r = mpfr_reference(c, DType::f32);
  EXPECT_EQ(r.undecided_elements, 0);
  EXPECT_EQ(r.lse[0], static_cast<float>(1 + std::ldexp(1.0, -11) + std::ldexp(1.0, -23))) << show(r.lse[0]);
}

TEST(MpfrReferenceTies, GroupsWithTheSameMeanGiveAnExactTie) {
  // Two keys at score 0 and two at score -3, each pair averaging the f32 midpoint
  // 1 + 2^-24 in column 0: O is that midpoint exactly and rounds to even (1). In column 1
  // the far pair averages 1 + 2^-23, which lifts O above the midpoint.
  const double up = 1 + std::ldexp(1.0, -23);
  const AttentionCase c = single_query_case({0.0, 0.0, -3.0, -3.0}, {{1.0, 1.0}, {up, up}, {up, up}, {1.0, up}});
  const auto r = mpfr_reference(c, DType::f32);
  EXPECT_EQ(r.undecided_elements, 0);
  EXPECT_EQ(r.o[0], 1.0f) << show(r.o[0]);
  EXPECT_EQ(r.o[1], static_cast<float>(up)) << show(r.o[1]);
}

TEST(MpfrReference, RejectsInvalidCase) {
  AttentionCase c;
  c.shape = {1, 3, 2, 1, 1, 1, 1};  // Hq not a multiple of Hkv
  EXPECT_THROW(mpfr_reference(c, DType::f32), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
