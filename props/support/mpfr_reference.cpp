#include "props/support/mpfr_reference.hpp"

#include <mpfr.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace flashcheck::reference {
namespace {

// One owned MPFR number.
class Mp {
 public:
  explicit Mp(mpfr_prec_t bits = kReferencePrecisionBits) { mpfr_init2(v_, bits); }
  Mp(Mp&& other) noexcept {
    mpfr_init2(v_, mpfr_get_prec(other.v_));
    mpfr_swap(v_, other.v_);
  }
  ~Mp() { mpfr_clear(v_); }
  Mp(const Mp&) = delete;
  Mp& operator=(const Mp&) = delete;
  Mp& operator=(Mp&&) = delete;
  mpfr_ptr get() { return v_; }
  mpfr_srcptr get() const { return v_; }

 private:
  mpfr_t v_;
};

// Wide enough that differences and sums of a row's input values (all within the
// f32 range) are exact.
constexpr mpfr_prec_t kExactBits = 1024;

// Output formats in IEEE terms (normal significands in [1, 2)); kept apart from
// core/binary_format on purpose so a mistake there cannot hide here.
struct MpfrFormat {
  DType id;
  mpfr_prec_t precision;
  mpfr_exp_t emin;  // exponent of the smallest normal number
  mpfr_exp_t emax;  // exponent of the largest finite number
};
constexpr std::array<MpfrFormat, 3> kFormats{{
    {DType::f32, 24, -126, 127},
    {DType::f16, 11, -14, 15},
    {DType::bf16, 8, -126, 127},
}};

const MpfrFormat& format_of(DType t) {
  for (const auto& f : kFormats)
    if (f.id == t) return f;
  throw std::invalid_argument("mpfr_reference: no format for dtype " + dtype_name(t));
}

// Rounds x into format f with mode rnd: MPFR's exponent range is narrowed to the
// format's (MPFR significands lie in [1/2, 1), hence the +1 and +2; the lower limit is
// the smallest subnormal, which mpfr_subnormalize then honours without double rounding).
void round_emulated(const MpfrFormat& f, mpfr_srcptr x, mpfr_rnd_t rnd, mpfr_ptr out) {
  const int inexact = mpfr_set(out, x, rnd);
  if (!mpfr_number_p(out) || mpfr_zero_p(out)) return;
  const mpfr_exp_t saved_emin = mpfr_get_emin();
  const mpfr_exp_t saved_emax = mpfr_get_emax();
  mpfr_set_emin(f.emin - f.precision + 2);
  mpfr_set_emax(f.emax + 1);
  const int in_range = mpfr_check_range(out, inexact, rnd);
  mpfr_subnormalize(out, in_range, rnd);
  mpfr_set_emin(saved_emin);
  mpfr_set_emax(saved_emax);
}

float round_to_float(const MpfrFormat& f, mpfr_srcptr x) {
  Mp t(f.precision);
  round_emulated(f, x, MPFR_RNDN, t.get());
  return mpfr_get_flt(t.get(), MPFR_RNDN);  // exact: every target value is a float
}

// The two format values around x and the boundary between them where rounding to
// nearest switches: their midpoint, or the overflow threshold max_finite + ulp/2.
struct Bracket {
  explicit Bracket(const MpfrFormat& f) : down(f.precision), up(f.precision) {}
  Mp down, up, boundary;
  bool representable = false;
};

void bracket_of(const MpfrFormat& f, mpfr_srcptr x, Bracket& b) {
  round_emulated(f, x, MPFR_RNDD, b.down.get());
  round_emulated(f, x, MPFR_RNDU, b.up.get());
  b.representable = mpfr_equal_p(b.down.get(), b.up.get()) != 0;
  if (mpfr_inf_p(b.down.get()) || mpfr_inf_p(b.up.get())) {
    Mp half_ulp;
    mpfr_set_ui_2exp(b.boundary.get(), 1, f.emax + 1, MPFR_RNDN);
    mpfr_set_ui_2exp(half_ulp.get(), 1, f.emax - f.precision, MPFR_RNDN);
    mpfr_sub(b.boundary.get(), b.boundary.get(), half_ulp.get(), MPFR_RNDN);
    mpfr_setsign(b.boundary.get(), b.boundary.get(), mpfr_signbit(x), MPFR_RNDN);
  } else {
    mpfr_add(b.boundary.get(), b.down.get(), b.up.get(), MPFR_RNDN);  // exact: both have few bits
    mpfr_div_2ui(b.boundary.get(), b.boundary.get(), 1, MPFR_RNDN);
  }
}

// Where the exact value lies relative to a rounding boundary.
enum class Side { below, on, above, unknown };

Side side_of_sign(int sign) { return sign > 0 ? Side::above : sign < 0 ? Side::below : Side::on; }

float pick(const MpfrFormat& f, const Bracket& b, Side side) {
  Mp t(f.precision);
  if (side == Side::on)
    round_emulated(f, b.boundary.get(), MPFR_RNDN, t.get());  // the tie itself: to even, or to inf
  else
    mpfr_set(t.get(), side == Side::above ? b.up.get() : b.down.get(), MPFR_RNDN);
  return mpfr_get_flt(t.get(), MPFR_RNDN);
}

// One term of a row's softmax: a visible key, or the sink (no value row: v = 0).
struct Term {
  int64_t j = -1;  // -1 for the sink
  Mp score, weight;  // weight = exp(score - max)
  bool score_exact = false;
  double score_magnitude = 0;  // |scale| sum_d |q_d k_jd| + |slope bias|: scales the score's error
  double mask_value = 0;       // the bias's two parts, for recognising keys with identical inputs
  long alibi_distance = 0;
};

class RowEvaluator {
 public:
  RowEvaluator(const AttentionCase& c, DType out_type, FullyMaskedPolicy policy, ReferenceResult& r)
      : c_(c), out_(format_of(out_type)), lse_format_(format_of(DType::f32)), policy_(policy), r_(r) {}

  void run(int64_t b, int64_t h, int64_t i) {
    const auto& s = c_.shape;
    const int64_t row = (b * s.hq + h) * s.lq + i;
    kvh_ = c_.kv_head(h);
    b_ = b;
    collect_terms(b, h, i);
    if (terms_.empty()) {
      write_fully_masked(row);
      return;
    }
    // Exactness is tracked with MPFR's sticky inexact flag: a result no operation
    // rounded is the exact value, even when it sits on a rounding boundary.
    mpfr_clear_inexflag();
    mpfr_set_inf(max_.get(), -1);
    for (const auto& t : terms_) mpfr_max(max_.get(), max_.get(), t.score.get(), MPFR_RNDN);
    mpfr_set_zero(denominator_.get(), 1);
    for (auto& t : terms_) {
      mpfr_sub(t.weight.get(), t.score.get(), max_.get(), MPFR_RNDN);
      mpfr_exp(t.weight.get(), t.weight.get(), MPFR_RNDN);
      mpfr_add(denominator_.get(), denominator_.get(), t.weight.get(), MPFR_RNDN);
    }
    weights_exact_ = mpfr_inexflag_p() == 0 &&
                     std::all_of(terms_.begin(), terms_.end(), [](const Term& t) { return t.score_exact; });

    // Error model (generous): every score carries an absolute error of at most
    // (Dk + 8) u A, A the largest score magnitude; a weight then a relative error
    // of about twice that; sums add one u per term.
    const double u = std::ldexp(1.0, -static_cast<int>(kReferencePrecisionBits));
    double a = 0;
    for (const auto& t : terms_) a = std::max(a, t.score_magnitude);
    score_error_ = static_cast<double>(s.dk + 8) * u * 2.0 * (a + 1.0);
    weight_error_ = 2.0 * score_error_ + 4.0 * u;
    sum_error_ = weight_error_ + static_cast<double>(s.lk + 4) * u;

    for (int64_t col = 0; col < s.dv; ++col) write_output(col, static_cast<size_t>(row * s.dv + col));
    write_lse(static_cast<size_t>(row));
  }

 private:
  double value(const Term& t, int64_t col) const { return t.j < 0 ? 0.0 : c_.v.get(b_, kvh_, t.j, col); }

  // Scores of the visible keys (straight from the definition in attention_case.hpp),
  // then the sink as one more term.
  void collect_terms(int64_t b, int64_t h, int64_t i) {
    terms_.clear();
    const auto& s = c_.shape;
    const double slope = static_cast<double>(c_.slope(h));
    const double scale = static_cast<double>(c_.scale);
    const double softcap = static_cast<double>(c_.softcap);
    Mp product, bias;
    for (int64_t j = 0; j < s.lk; ++j) {
      mpfr_clear_inexflag();
      Term t;
      if (!exact_bias(i, j, bias.get(), t)) continue;
      t.j = j;
      mpfr_ptr sc = t.score.get();
      mpfr_set_zero(sc, 1);
      for (int64_t d = 0; d < s.dk; ++d) {
        const double q = c_.q.get(b, h, i, d);
        const double k = c_.k.get(b, kvh_, j, d);
        if (!std::isfinite(q) || !std::isfinite(k))
          throw_non_finite(std::isfinite(q) ? "K" : "Q", b, h, i, j, d, std::isfinite(q) ? k : q);
        mpfr_set_d(product.get(), q, MPFR_RNDN);
        mpfr_mul_d(product.get(), product.get(), k, MPFR_RNDN);  // exact: 106 bits at most
        mpfr_add(sc, sc, product.get(), MPFR_RNDN);
        t.score_magnitude += std::fabs(q * k);
      }
      mpfr_mul_d(sc, sc, scale, MPFR_RNDN);
      t.score_magnitude = t.score_magnitude * std::fabs(scale) +
                          std::fabs(slope) * (std::fabs(t.mask_value) + static_cast<double>(t.alibi_distance));
      if (softcap > 0) {
        mpfr_div_d(sc, sc, softcap, MPFR_RNDN);
        mpfr_tanh(sc, sc, MPFR_RNDN);
        mpfr_mul_d(sc, sc, softcap, MPFR_RNDN);
      }
      mpfr_mul_d(bias.get(), bias.get(), slope, MPFR_RNDN);
      mpfr_add(sc, sc, bias.get(), MPFR_RNDN);
      for (int64_t d = 0; d < s.dv; ++d)
        if (const double v = c_.v.get(b, kvh_, j, d); !std::isfinite(v)) throw_non_finite("V", b, h, i, j, d, v);
      t.score_exact = mpfr_inexflag_p() == 0;
      terms_.push_back(std::move(t));
    }
    if (c_.has_sinks()) {
      Term t;
      const double sink = static_cast<double>(c_.sinks[static_cast<size_t>(h)]);
      mpfr_set_d(t.score.get(), sink, MPFR_RNDN);
      t.score_exact = true;
      t.score_magnitude = std::fabs(sink);
      terms_.push_back(std::move(t));
    }
  }

  // The case math is defined for finite inputs; inf and NaN are legal only where masked.
  [[noreturn]] static void throw_non_finite(const char* tensor, int64_t b, int64_t h, int64_t i, int64_t j, int64_t d,
                                            double value) {
    throw std::invalid_argument(std::string("mpfr_reference: ") + tensor + " holds " + std::to_string(value) +
                                " at a visible position (b=" + std::to_string(b) + " h=" + std::to_string(h) +
                                " i=" + std::to_string(i) + " key=" + std::to_string(j) + " d=" + std::to_string(d) +
                                ")");
  }

  // bias(i, j) from its definition, summed without rounding; false when key j is hidden.
  bool exact_bias(int64_t i, int64_t j, mpfr_ptr out, Term& t) const {
    if (!c_.structurally_visible(i, j)) return false;
    const double m = c_.mask ? c_.mask->get(0, 0, i, j) : 0.0;
    if (m == -std::numeric_limits<double>::infinity()) return false;
    if (!std::isfinite(m))
      throw std::invalid_argument("mpfr_reference: mask holds +inf or NaN at (" + std::to_string(i) + ", " +
                                  std::to_string(j) + ")");
    t.mask_value = m;
    t.alibi_distance = c_.uses_alibi() ? std::labs(static_cast<long>(i + c_.shape.decode_offset() - j)) : 0;
    mpfr_set_d(out, m, MPFR_RNDN);
    mpfr_sub_si(out, out, t.alibi_distance, MPFR_RNDN);
    return true;
  }

  void write_output(int64_t col, size_t idx) {
    mpfr_clear_inexflag();
    Mp numerator, term, out, tolerance;
    mpfr_set_zero(numerator.get(), 1);
    for (const auto& t : terms_) {
      mpfr_mul_d(term.get(), t.weight.get(), value(t, col), MPFR_RNDN);
      mpfr_add(numerator.get(), numerator.get(), term.get(), MPFR_RNDN);
    }
    mpfr_div(out.get(), numerator.get(), denominator_.get(), MPFR_RNDN);
    bool exact = weights_exact_ && mpfr_inexflag_p() == 0;
    // sum p v / sum p = v when every term has the same v (the sink counts as v = 0):
    // the identity is exact even where the rounded sums are not.
    const double first = value(terms_.front(), col);
    if (std::all_of(terms_.begin(), terms_.end(), [&](const Term& t) { return value(t, col) == first; })) {
      mpfr_set_d(out.get(), first, MPFR_RNDN);
      exact = true;
    }
    // The error scales with sum_j p_j |v_j| / denominator, not with |O| (cancellation).
    mpfr_set_zero(tolerance.get(), 1);
    for (const auto& t : terms_) {
      mpfr_mul_d(term.get(), t.weight.get(), std::fabs(value(t, col)), MPFR_RNDU);
      mpfr_add(tolerance.get(), tolerance.get(), term.get(), MPFR_RNDU);
    }
    mpfr_div(tolerance.get(), tolerance.get(), denominator_.get(), MPFR_RNDU);
    mpfr_mul_d(tolerance.get(), tolerance.get(), 4.0 * sum_error_, MPFR_RNDU);

    r_.o_wide[idx] = mpfr_get_ld(out.get(), MPFR_RNDN);
    r_.o_undecided[idx] =
        decide(out_, out.get(), exact, tolerance.get(), [&](mpfr_srcptr boundary) { return side_of_o(col, boundary); },
               r_.o[idx]);
    r_.undecided_elements += r_.o_undecided[idx];
  }

  void write_lse(size_t idx) {
    mpfr_clear_inexflag();
    Mp lse, tolerance;
    mpfr_log(lse.get(), denominator_.get(), MPFR_RNDN);
    mpfr_add(lse.get(), lse.get(), max_.get(), MPFR_RNDN);
    const bool exact = weights_exact_ && mpfr_inexflag_p() == 0;
    const double magnitude = std::fabs(mpfr_get_d(lse.get(), MPFR_RNDN)) + 1.0;
    mpfr_set_d(tolerance.get(), 4.0 * (score_error_ + sum_error_ * magnitude), MPFR_RNDU);
    r_.lse_wide[idx] = mpfr_get_ld(lse.get(), MPFR_RNDN);
    r_.lse_undecided[idx] = decide(lse_format_, lse.get(), exact, tolerance.get(),
                                   [&](mpfr_srcptr boundary) { return side_of_lse(boundary); }, r_.lse[idx]);
    r_.undecided_elements += r_.lse_undecided[idx];
  }

  // Rounds x (exact, or within +-tolerance of the exact value) into `result`; near a
  // rounding boundary asks side_of where the exact value lies. Returns 1 when that
  // stays unknown (result then holds the rounding of x, unproven).
  template <class SideOf>
  static uint8_t decide(const MpfrFormat& f, mpfr_srcptr x, bool exact, mpfr_srcptr tolerance, SideOf&& side_of,
                        float& result) {
    result = round_to_float(f, x);
    if (exact) return 0;
    Bracket b(f);
    bracket_of(f, x, b);
    if (b.representable) return 0;  // every value near x rounds to x
    Mp distance;
    mpfr_sub(distance.get(), x, b.boundary.get(), MPFR_RNDN);
    mpfr_abs(distance.get(), distance.get(), MPFR_RNDN);
    if (mpfr_greater_p(distance.get(), tolerance)) return 0;
    const Side side = side_of(b.boundary.get());
    if (side == Side::unknown) return 1;
    result = pick(f, b, side);
    return 0;
  }

  // Whether two terms' real scores are equal: both computed exactly and equal, or
  // computed from identical inputs (then their rounded weights are identical too).
  bool same_real_score(const Term& a, const Term& b) const {
    if (a.score_exact && b.score_exact && mpfr_equal_p(a.score.get(), b.score.get())) return true;
    if (a.j < 0 || b.j < 0 || a.mask_value != b.mask_value || a.alibi_distance != b.alibi_distance) return false;
    for (int64_t d = 0; d < c_.shape.dk; ++d)
      if (c_.k.get(b_, kvh_, a.j, d) != c_.k.get(b_, kvh_, b.j, d)) return false;
    return true;
  }

  // Sign of O - B = sum_t p_t (v_t - B) / denominator. Terms with equal real scores
  // share one weight, so their (v - B) are summed exactly first: contributions that
  // cancel in the real numbers then cancel here too, and an exact tie shows as 0.
  Side side_of_o(int64_t col, mpfr_srcptr boundary) const {
    std::vector<uint8_t> used(terms_.size(), 0);
    std::vector<Mp> contributions;
    Mp inner(kExactBits), magnitude, tmp;
    mpfr_set_zero(magnitude.get(), 1);
    for (size_t n = 0; n < terms_.size(); ++n) {
      if (used[n]) continue;
      mpfr_clear_inexflag();
      mpfr_set_zero(inner.get(), 1);
      for (size_t m = n; m < terms_.size(); ++m) {
        if (used[m] || !(m == n || same_real_score(terms_[n], terms_[m]))) continue;
        used[m] = 1;
        mpfr_set_d(tmp.get(), value(terms_[m], col), MPFR_RNDN);
        mpfr_sub(tmp.get(), tmp.get(), boundary, MPFR_RNDN);
        mpfr_add(inner.get(), inner.get(), tmp.get(), MPFR_RNDN);
      }
      if (mpfr_inexflag_p()) return Side::unknown;
      if (mpfr_zero_p(inner.get())) continue;
      contributions.emplace_back();
      mpfr_mul(contributions.back().get(), terms_[n].weight.get(), inner.get(), MPFR_RNDN);
      mpfr_abs(tmp.get(), contributions.back().get(), MPFR_RNDN);
      mpfr_add(magnitude.get(), magnitude.get(), tmp.get(), MPFR_RNDU);
    }
    if (contributions.empty()) return Side::on;
    return sign_beyond_error(contributions, magnitude.get());
  }

  // Sign of LSE - B = (max - B) + log1p(R), R the sum of the weights other than the
  // maximum's (which is exactly 1). Decidable when a single term attains the maximum.
  Side side_of_lse(mpfr_srcptr boundary) const {
    size_t at_max = terms_.size(), count = 0;
    for (size_t n = 0; n < terms_.size(); ++n)
      if (mpfr_equal_p(terms_[n].score.get(), max_.get())) {
        at_max = n;
        ++count;
      }
    if (count != 1 || !terms_[at_max].score_exact) return Side::unknown;
    Mp offset(kExactBits), rest, log_rest;
    mpfr_clear_inexflag();
    mpfr_sub(offset.get(), max_.get(), boundary, MPFR_RNDN);
    if (mpfr_inexflag_p()) return Side::unknown;
    mpfr_set_zero(rest.get(), 1);
    for (size_t n = 0; n < terms_.size(); ++n)
      if (n != at_max) mpfr_add(rest.get(), rest.get(), terms_[n].weight.get(), MPFR_RNDN);
    mpfr_log1p(log_rest.get(), rest.get(), MPFR_RNDN);  // > 0 exactly when some other term exists
    if (mpfr_zero_p(offset.get())) return side_of_sign(mpfr_sgn(log_rest.get()));
    if (mpfr_sgn(offset.get()) > 0) return Side::above;
    std::vector<Mp> parts;
    parts.emplace_back(kExactBits);
    mpfr_set(parts.back().get(), offset.get(), MPFR_RNDN);
    parts.emplace_back();
    mpfr_set(parts.back().get(), log_rest.get(), MPFR_RNDN);
    Mp magnitude;
    mpfr_abs(magnitude.get(), log_rest.get(), MPFR_RNDU);
    return sign_beyond_error(parts, magnitude.get());
  }

  // Sign of a sum of terms, each known to a relative error below the row's sum error:
  // decided only when the exactly summed value exceeds their combined error.
  Side sign_beyond_error(std::vector<Mp>& parts, mpfr_srcptr inexact_magnitude) const {
    std::vector<mpfr_ptr> pointers;
    for (auto& p : parts) pointers.push_back(p.get());
    Mp total, bound;
    mpfr_sum(total.get(), pointers.data(), pointers.size(), MPFR_RNDN);
    mpfr_mul_d(bound.get(), inexact_magnitude, 4.0 * sum_error_, MPFR_RNDU);
    mpfr_abs(total.get(), total.get(), MPFR_RNDN);
    if (!mpfr_greater_p(total.get(), bound.get())) return Side::unknown;
    mpfr_sum(total.get(), pointers.data(), pointers.size(), MPFR_RNDN);
    return side_of_sign(mpfr_sgn(total.get()));
  }

  void write_fully_masked(int64_t row) {
    const bool nan = policy_ == FullyMaskedPolicy::nan;
    const float o_value = nan ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    const float lse_value = nan ? std::numeric_limits<float>::quiet_NaN() : -std::numeric_limits<float>::infinity();
    const auto dv = static_cast<size_t>(c_.shape.dv);
    const auto first = static_cast<std::ptrdiff_t>(static_cast<size_t>(row) * dv);
    std::fill_n(r_.o.begin() + first, dv, o_value);
    std::fill_n(r_.o_wide.begin() + first, dv, o_value);
    r_.lse[static_cast<size_t>(row)] = lse_value;
    r_.lse_wide[static_cast<size_t>(row)] = lse_value;
    r_.fully_masked[static_cast<size_t>(row)] = 1;
  }

  const AttentionCase& c_;
  const MpfrFormat& out_;
  const MpfrFormat& lse_format_;
  FullyMaskedPolicy policy_;
  ReferenceResult& r_;
  int64_t b_ = 0, kvh_ = 0;
  std::vector<Term> terms_;
  Mp max_, denominator_;
  bool weights_exact_ = false;
  double score_error_ = 0, weight_error_ = 0, sum_error_ = 0;
};

std::string show(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", x, x);
  return buf;
}

std::string show_wide(long double x) {
  char buf[112];
  std::snprintf(buf, sizeof buf, "%.21Lg (%La)", x, x);
  return buf;
}

bool same_rounded(float got, float want, long double wide) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (got == 0.0f && want == 0.0f && wide == 0.0L) return true;
  return std::bit_cast<uint32_t>(got) == std::bit_cast<uint32_t>(want);
}

bool close_to_wide(double exact, long double wide) {
  if (std::isnan(wide) || std::isinf(wide)) return std::isnan(wide) ? std::isnan(exact) : exact == wide;
  const long double tolerance = std::ldexp(std::fabs(wide), -52) + std::numeric_limits<double>::denorm_min();
  return std::fabs(static_cast<long double>(exact) - wide) <= tolerance;
}

std::string row_name(const CaseShape& s, size_t row) {
  const auto r = static_cast<int64_t>(row);
  return "b=" + std::to_string(r / (s.hq * s.lq)) + " h=" + std::to_string(r / s.lq % s.hq) +
         " i=" + std::to_string(r % s.lq);
}

}  // namespace

std::string mismatches(const ReferenceResult& ref, const CaseShape& shape, const OutputsUnderTest& got,
                       size_t max_lines) {
  if (got.o.size() != ref.o.size() || got.lse.size() != ref.lse.size())
    return "output sizes differ: O " + std::to_string(got.o.size()) + " vs " + std::to_string(ref.o.size()) +
           ", LSE " + std::to_string(got.lse.size()) + " vs " + std::to_string(ref.lse.size()) + "\n";
  std::string text;
  size_t lines = 0;
  auto report = [&](const std::string& where, const char* what, double value, double want, long double wide) {
    if (++lines <= max_lines)
      text += where + " " + what + ": got " + show(value) + ", reference " + show(want) + ", 256-bit value " +
              show_wide(wide) + "\n";
  };
  const auto dv = static_cast<size_t>(shape.dv);
  for (size_t idx = 0; idx < ref.o.size(); ++idx) {
    const std::string where = "O[" + row_name(shape, idx / dv) + " c=" + std::to_string(idx % dv) + "]";
    if (!ref.o_undecided[idx] && !same_rounded(got.o[idx], ref.o[idx], ref.o_wide[idx]))
      report(where, "rounded", got.o[idx], ref.o[idx], ref.o_wide[idx]);
    if (!got.o_exact.empty() && !close_to_wide(got.o_exact[idx], ref.o_wide[idx]))
      report(where, "high-precision", got.o_exact[idx], static_cast<double>(ref.o_wide[idx]), ref.o_wide[idx]);
  }
  for (size_t row = 0; row < ref.lse.size(); ++row) {
    const std::string where = "LSE[" + row_name(shape, row) + "]";
    if (!ref.lse_undecided[row] && !same_rounded(got.lse[row], ref.lse[row], ref.lse_wide[row]))
      report(where, "rounded", got.lse[row], ref.lse[row], ref.lse_wide[row]);
    if (!got.lse_exact.empty() && !close_to_wide(got.lse_exact[row], ref.lse_wide[row]))
      report(where, "high-precision", got.lse_exact[row], static_cast<double>(ref.lse_wide[row]), ref.lse_wide[row]);
  }
  if (lines > max_lines) text += "... " + std::to_string(lines - max_lines) + " more\n";
  return text;
}

ReferenceResult mpfr_reference(const AttentionCase& c, DType out_type, FullyMaskedPolicy policy) {
  if (const std::string problems = validate(c); !problems.empty())
    throw std::invalid_argument("mpfr_reference: invalid case:\n" + problems);
  const auto& s = c.shape;
  const auto rows = static_cast<size_t>(s.batch * s.hq * s.lq);
  const auto elements = rows * static_cast<size_t>(s.dv);
  ReferenceResult r;
  r.o.assign(elements, 0.0f);
  r.o_wide.assign(elements, 0.0L);
  r.o_undecided.assign(elements, 0);
  r.lse.assign(rows, 0.0f);
  r.lse_wide.assign(rows, 0.0L);
  r.lse_undecided.assign(rows, 0);
  r.fully_masked.assign(rows, 0);
  RowEvaluator evaluator(c, out_type, policy, r);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.hq; ++h)
      for (int64_t i = 0; i < s.lq; ++i) evaluator.run(b, h, i);
  return r;
}

float mpfr_round_to(DType t, double x) {
  Mp wide(64);
  mpfr_set_d(wide.get(), x, MPFR_RNDN);  // exact: a double fits in 64 bits
  return round_to_float(format_of(t), wide.get());
}

}  // namespace flashcheck::reference
