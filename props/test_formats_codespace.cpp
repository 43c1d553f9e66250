// Code-space exhaustive check of every element format with one generic checker: for
// every code, and for the midpoints between neighbouring values and the points just
// off them, encode() must agree with a brute-force nearest-value search over all codes.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "oracle/formats/element_codec.hpp"
#include "oracle/formats/element_format.hpp"
#include "oracle/formats/encode_policy.hpp"

namespace flashcheck::formats {

// Names the format in parameterized test output instead of dumping its bytes.
void PrintTo(const ElementFormat& f, std::ostream* os) { *os << f.name; }

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::array kRoundings{Rounding::nearest_even, Rounding::toward_zero, Rounding::toward_pos_inf,
                                Rounding::toward_neg_inf, Rounding::nearest_away};
constexpr std::array kOverflows{Overflow::saturate, Overflow::to_inf_or_nan};

std::string show(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", x, x);
  return buf;
}

std::string show_code(uint8_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(c));
  return buf;
}

bool legal(const ElementFormat& f, Overflow o) { return o == Overflow::saturate || f.has_inf || f.has_nan(); }

EncodePolicy policy(const ElementFormat& f, Rounding r, Overflow o) {
  EncodePolicy p = default_policy(f);
  p.rounding = r;
  p.overflow = o;
  return p;
}

// A non-negative point of the grid and the magnitude code that holds it.
struct GridPoint {
  double value;
  unsigned code;
};

// The reference: brute force over the finite codes of the format, plus the grid
// point one past the largest finite value (value max + its binade's quantum, code
// max + 1), which is where an unbounded exponent range would round to.
class BruteForce {
 public:
  explicit BruteForce(const ElementFormat& f) : f_(f) {
    for (uint32_t c = 0; c < f.code_count(); ++c) {
      const auto code = static_cast<uint8_t>(c);
      if ((code & f.sign_mask()) != 0 || is_nan_code(f, code) || is_inf_code(f, code)) continue;
      points_.push_back({decode(f, code), c});
    }
    std::sort(points_.begin(), points_.end(), [](const GridPoint& a, const GridPoint& b) { return a.value < b.value; });
    const GridPoint& top = points_.back();
    const double quantum = std::ldexp(1.0, std::ilogb(top.value) - f.mant_bits);
    points_.push_back({top.value + quantum, top.code + 1});
  }

  const std::vector<GridPoint>& points() const { return points_; }  // last one is one past max

  // Expected code of x > 0 under the rounding of the magnitude (directed modes already
  // resolved for the sign) and the overflow policy.
  uint8_t expect_positive(double x, Rounding mode, Overflow o) const {
    const GridPoint& past = points_.back();
    if (x < points_.front().value) return static_cast<uint8_t>(points_.front().code);  // E8M0 below 2^-127
    GridPoint chosen = past;
    if (x <= past.value) {
      auto hi = std::lower_bound(points_.begin(), points_.end(), x,
                                 [](const GridPoint& p, double v) { return p.value < v; });
      if (hi->value == x) return expect_chosen(*hi, mode, o);
      const GridPoint lo = *(hi - 1);  // x > front, so hi is not the first point
      const double mid = (lo.value + hi->value) / 2;  // exact: one bit more than the format
      switch (mode) {
        case Rounding::toward_zero: chosen = lo; break;
        case Rounding::toward_pos_inf: chosen = *hi; break;
        case Rounding::nearest_even:
          chosen = x < mid ? lo : x > mid ? *hi : (lo.code % 2 == 0 ? lo : *hi);
          break;
        case Rounding::nearest_away: chosen = x < mid ? lo : *hi; break;
        case Rounding::toward_neg_inf: ADD_FAILURE() << "magnitude mode expected"; break;
      }
    }
    return expect_chosen(chosen, mode, o);
  }

 private:
  // The code for a chosen grid point: itself, or the overflow result for the one past max.
  uint8_t expect_chosen(const GridPoint& chosen, Rounding mode, Overflow o) const {
    const GridPoint& past = points_.back();
    if (chosen.value <= f_.max_finite) return static_cast<uint8_t>(chosen.code);
    const uint8_t max_code = static_cast<uint8_t>(points_[points_.size() - 2].code);
    if (o == Overflow::saturate || mode == Rounding::toward_zero) return max_code;
    return f_.has_inf ? static_cast<uint8_t>(past.code) : f_.canonical_nan;  // inf sits one past max in IEEE layouts
  }

  const ElementFormat& f_;
  std::vector<GridPoint> points_;
};

// Rounding of |x| for an x of the given sign, as a mode on positive numbers.
Rounding magnitude_mode(Rounding r, bool negative) {
  if (r == Rounding::toward_pos_inf) return negative ? Rounding::toward_zero : Rounding::toward_pos_inf;
  if (r == Rounding::toward_neg_inf) return negative ? Rounding::toward_pos_inf : Rounding::toward_zero;
  return r;
}

Rounding mirrored(Rounding r) {
  if (r == Rounding::toward_pos_inf) return Rounding::toward_neg_inf;
  if (r == Rounding::toward_neg_inf) return Rounding::toward_pos_inf;
  return r;
}

// Positive probe points: every grid value, the midpoints between neighbours and the
// doubles just off each, and points below the smallest and beyond the largest.
std::vector<double> probe_points(const BruteForce& ref) {
  std::vector<double> xs;
  const auto& pts = ref.points();
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    const double lo = pts[i].value, hi = pts[i + 1].value, mid = (lo + hi) / 2;
    for (double x : {lo, std::nextafter(lo, kInf), std::nextafter(mid, 0.0), mid, std::nextafter(mid, kInf),
                     std::nextafter(hi, 0.0)})
      if (x > 0) xs.push_back(x);
  }
  const double past = pts.back().value, smallest = pts[pts[0].value == 0 ? 1 : 0].value;
  for (double x : {past, std::nextafter(past, kInf), 2 * past, std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(), smallest / 2,
                   std::nextafter(smallest, 0.0), smallest / 3})
    xs.push_back(x);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  return xs;
}

class FormatCodeSpace : public ::testing::TestWithParam<ElementFormat> {};

TEST_P(FormatCodeSpace, TableConstantsMatchDecode) {
  const ElementFormat& f = GetParam();
  const BruteForce ref(f);
  const auto& pts = ref.points();
  EXPECT_EQ(decode(f, max_finite_code(f)), f.max_finite) << show_code(max_finite_code(f));
  EXPECT_EQ(pts[pts.size() - 2].value, f.max_finite);
  const double smallest = pts[f.has_zero ? 1 : 0].value;
  EXPECT_EQ(smallest, f.min_subnormal) << show(smallest);
  EXPECT_EQ(f.has_zero, pts[0].value == 0.0);
  EXPECT_EQ(f.min_normal, std::ldexp(1.0, f.grid.emin)) << show(f.min_normal);
  EXPECT_EQ(f.grid.precision, f.mant_bits + 1);
  EXPECT_EQ(f.bits, f.exp_bits + f.mant_bits + (f.is_signed ? 1 : 0));
  EXPECT_EQ(f.grid.emax, std::ilogb(f.max_finite));
  if (f.has_nan()) {
    EXPECT_TRUE(is_nan_code(f, f.canonical_nan)) << show_code(f.canonical_nan);
  }
}

TEST_P(FormatCodeSpace, DecodeIsStrictlyIncreasingOverPositiveCodes) {
  const ElementFormat& f = GetParam();
  double previous = -kInf;
  for (uint32_t c = 0; c <= f.magnitude_mask(); ++c) {
    const auto code = static_cast<uint8_t>(c);
    if (is_nan_code(f, code)) continue;
    const double v = decode(f, code);
    EXPECT_GT(v, previous) << f.name << " code " << show_code(code) << " value " << show(v);
    previous = v;
  }
}

TEST_P(FormatCodeSpace, DecodeThenEncodeIsIdentity) {
  const ElementFormat& f = GetParam();
  int failures = 0;
  for (uint32_t c = 0; c < f.code_count(); ++c) {
    const auto code = static_cast<uint8_t>(c);
    if (is_nan_code(f, code)) {
      EXPECT_TRUE(std::isnan(decode(f, code))) << show_code(code);
      continue;
    }
    const double v = decode(f, code);
    for (Rounding r : kRoundings)
      for (Overflow o : kOverflows) {
        // An infinite code survives only where overflow keeps infinities.
        if (!legal(f, o) || (std::isinf(v) && o == Overflow::saturate)) continue;
        const uint8_t back = encode(f, v, policy(f, r, o));
        if (back != code && ++failures <= 20)
          ADD_FAILURE() << f.name << " code " << show_code(code) << " value " << show(v) << " re-encodes to "
                        << show_code(back) << " under " << name(r) << "/" << name(o);
      }
  }
  EXPECT_EQ(failures, 0);
}

TEST_P(FormatCodeSpace, EncodeMatchesBruteForceNearest) {
  const ElementFormat& f = GetParam();
  const BruteForce ref(f);
  int failures = 0, checked = 0;
  for (double x : probe_points(ref))
    for (Rounding r : kRoundings)
      for (Overflow o : kOverflows) {
        if (!legal(f, o)) continue;
        for (bool negative : {false, true}) {
          if (negative && !f.is_signed) continue;
          const uint8_t want_magnitude = ref.expect_positive(x, magnitude_mode(r, negative), o);
          const uint8_t want = (negative && !is_nan_code(f, want_magnitude))
                                   ? static_cast<uint8_t>(want_magnitude | f.sign_mask())
                                   : want_magnitude;
          const double input = negative ? -x : x;
          const uint8_t got = encode(f, input, policy(f, r, o));
          ++checked;
          if (got != want && ++failures <= 20)
            ADD_FAILURE() << f.name << " encode(" << show(input) << ") under " << name(r) << "/" << name(o)
                          << " = " << show_code(got) << " [" << show(decode(f, got)) << "], brute force "
                          << show_code(want) << " [" << show(decode(f, want)) << "]";
        }
      }
  EXPECT_EQ(failures, 0) << "of " << checked;
  // Every probe ran for every mode, every legal overflow policy and every sign.
  const size_t overflows = legal(f, Overflow::to_inf_or_nan) ? 2 : 1, signs = f.is_signed ? 2 : 1;
  EXPECT_EQ(size_t(checked), probe_points(ref).size() * kRoundings.size() * overflows * signs);
}

// Random doubles anywhere around the format's range (RapidCheck) against the same brute force.
TEST_P(FormatCodeSpace, EncodeMatchesBruteForceOnRandomDoubles) {
  const ElementFormat& f = GetParam();
  const BruteForce ref(f);
  const bool ok = rc::check(std::string(f.name) + ": encode == brute-force nearest", [&] {
    const int exponent = *rc::gen::inRange(f.grid.emin - f.mant_bits - 4, f.grid.emax + 4);
    const auto mantissa = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 52);
    const bool negative = f.is_signed && *rc::gen::arbitrary<bool>();
    const Rounding r = kRoundings[*rc::gen::inRange<size_t>(0, kRoundings.size())];
    const Overflow o = legal(f, Overflow::to_inf_or_nan) && *rc::gen::arbitrary<bool>() ? Overflow::to_inf_or_nan
                                                                                          : Overflow::saturate;
    const double x = std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -52), exponent);
    const uint8_t want_magnitude = ref.expect_positive(x, magnitude_mode(r, negative), o);
    const uint8_t want = (negative && !is_nan_code(f, want_magnitude))
                             ? static_cast<uint8_t>(want_magnitude | f.sign_mask())
                             : want_magnitude;
    const double input = negative ? -x : x;
    const uint8_t got = encode(f, input, policy(f, r, o));
    if (got != want)
      RC_FAIL("encode(" + show(input) + ") under " + std::string(name(r)) + "/" + std::string(name(o)) + " = " +
              show_code(got) + ", brute force " + show_code(want));
  });
  EXPECT_TRUE(ok);
}

TEST_P(FormatCodeSpace, EncodeIsMonotonic) {
  const ElementFormat& f = GetParam();
  std::vector<double> xs = probe_points(BruteForce(f));
  if (f.is_signed) {
    const size_t n = xs.size();
    for (size_t i = 0; i < n; ++i) xs.push_back(-xs[i]);
    xs.push_back(0.0);
    std::sort(xs.begin(), xs.end());
  }
  for (Rounding r : kRoundings) {
    const EncodePolicy p = policy(f, r, Overflow::saturate);
    double previous = -kInf;
    double previous_x = -kInf;
    for (double x : xs) {
      const double v = decode(f, encode(f, x, p));
      EXPECT_GE(v, previous) << f.name << " " << name(r) << ": encode(" << show(x) << ") = " << show(v)
                             << " below encode(" << show(previous_x) << ") = " << show(previous);
      previous = v;
      previous_x = x;
    }
  }
}

TEST_P(FormatCodeSpace, EncodeIsSignSymmetric) {
  const ElementFormat& f = GetParam();
  if (!f.is_signed) {
    // No sign bit: a negative input has no code and takes the NaN policy's code.
    for (double x : probe_points(BruteForce(f)))
      for (Rounding r : kRoundings) EXPECT_EQ(encode(f, -x, policy(f, r, Overflow::saturate)), f.canonical_nan) << x;
    return;
  }
  for (double x : probe_points(BruteForce(f)))
    for (Rounding r : kRoundings)
      for (Overflow o : kOverflows) {
        if (!legal(f, o)) continue;
        const uint8_t pos = encode(f, x, policy(f, mirrored(r), o));
        const uint8_t neg = encode(f, -x, policy(f, r, o));
        const uint8_t want = is_nan_code(f, pos) ? pos : static_cast<uint8_t>(pos | f.sign_mask());
        EXPECT_EQ(neg, want) << f.name << " " << name(r) << "/" << name(o) << ": encode(" << show(-x)
                             << ") = " << show_code(neg) << ", mirror of " << show_code(pos);
      }
}

std::string format_name(const ::testing::TestParamInfo<ElementFormat>& info) { return std::string(info.param.name); }

INSTANTIATE_TEST_SUITE_P(AllFormats, FormatCodeSpace, ::testing::ValuesIn(all_element_formats().begin(),
                                                                          all_element_formats().end()),
                         format_name);

}  // namespace
}  // namespace flashcheck::formats
