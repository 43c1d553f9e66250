// Orchestration: rows grouped by (batch, kv head) so K and V are decoded once and
// memory stays O(Lk * D); rows run in parallel; each element's rounding is decided
// from its error bound, escalating to MPFR and finally to the exact argument.
#include "oracle/attention_oracle.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <span>
#include <thread>

#include <mpfr.h>

#include "oracle/row_eval.hpp"

namespace flashcheck {
namespace {

using oracle_detail::ExactDecision;
using oracle_detail::KvGroup;
using oracle_detail::MpfrDecision;
using oracle_detail::RowEval;
using oracle_detail::RowInput;
using oracle_detail::Special;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr long kEscalationPrecisions[] = {128, 256, 512, 1024, 2048};
// Precisions of the midpoint-sign tier before and after the MPFR tier.
constexpr long kFirstSignPrecisions[] = {256};
constexpr long kLastSignPrecisions[] = {1024, 4096};

// The rounded value when every point of [x - err, x + err] rounds the same way.
std::optional<double> decide(dd::DD x, double err, const BinaryFormat& f) {
  if (!std::isfinite(err) || !std::isfinite(x.hi)) return std::nullopt;
  // Forming the endpoints in double-double rounds; widen by that much.
  const double e = dd::round_up(err + 4.0 * dd::kU2 * std::fabs(x.hi));
  const dd::DD lo = dd::add(x, -e), hi = dd::add(x, e);
  const double a = f.round_nearest_even(lo.hi, lo.lo), b = f.round_nearest_even(hi.hi, hi.lo);
  if (a != b || std::signbit(a) != std::signbit(b)) return std::nullopt;  // -0 and +0 differ too
  return f.round_nearest_even(x.hi, x.lo);
}

double special_value(Special s) {
  switch (s) {
    case Special::nan: return kNaN;
    case Special::pos_inf: return kInf;
    case Special::neg_inf: return -kInf;
    case Special::none: break;
  }
  return 0.0;
}

struct Counters {
  std::atomic<int64_t> escalated{0}, exact{0}, unresolved{0};
};

class RowFinisher {
 public:
  RowFinisher(const AttentionCase& c, const OracleOptions& opts, OracleResult& res, Counters& counters)
      : c_(c), opts_(opts), res_(res), counters_(counters), fmt_(traits(opts.out_type).format) {}

  void finish(const RowInput& in, const RowEval& ev) {
    const int64_t dv = c_.shape.dv;
    const int64_t row = (in.b * c_.shape.hq + in.h) * c_.shape.lq + in.i;
    const size_t base = static_cast<size_t>(row * dv);
    auto ri = static_cast<size_t>(row);
    res_.visible_keys[ri] = ev.visible;
    res_.score_abs_max[ri] = ev.score_abs_max;
    res_.score_spread[ri] = ev.score_spread;
    res_.max_abs_score[ri] = ev.max_abs_score;
    res_.rotation_dot_scale[ri] = ev.rotation_dot_max;

    if (ev.nan_scores || ev.fully_masked) {
      const bool zeros = ev.fully_masked && opts_.fully_masked == FullyMaskedPolicy::zeros_neg_inf_lse;
      res_.fully_masked[ri] = ev.fully_masked ? 1 : 0;
      for (int64_t col = 0; col < dv; ++col) {
        res_.o[base + static_cast<size_t>(col)] = zeros ? 0.0f : static_cast<float>(kNaN);
        res_.o_exact[base + static_cast<size_t>(col)] = zeros ? 0.0 : kNaN;
      }
      res_.lse[ri] = zeros ? static_cast<float>(-kInf) : static_cast<float>(kNaN);
      res_.lse_exact[ri] = zeros ? -kInf : kNaN;
      return;
    }

    std::vector<int64_t> pending;
    for (int64_t col = 0; col < dv; ++col) {
      const size_t ci = static_cast<size_t>(col);
      res_.abs_weighted_v[base + ci] = ev.abs_weighted_v[ci];
      res_.v_scale[base + ci] = ev.v_scale[ci];
      if (ev.o_special[ci] != Special::none) {
        const double v = special_value(ev.o_special[ci]);
        res_.o[base + ci] = static_cast<float>(v);
        res_.o_exact[base + ci] = v;
        continue;
      }
      res_.o_exact[base + ci] = ev.o[ci].hi + ev.o[ci].lo;
      if (auto v = decide(ev.o[ci], ev.o_err[ci], fmt_)) {
        res_.o[base + ci] = static_cast<float>(*v);
      } else {
        res_.o[base + ci] = static_cast<float>(fmt_.round_nearest_even(ev.o[ci].hi, ev.o[ci].lo));
        pending.push_back(col);
      }
    }
    res_.lse_exact[ri] = ev.lse.hi + ev.lse.lo;
    bool lse_pending = false;
    if (auto v = decide(ev.lse, ev.lse_err, kFormatF32)) {
      res_.lse[ri] = static_cast<float>(*v);
    } else {
      res_.lse[ri] = static_cast<float>(kFormatF32.round_nearest_even(ev.lse.hi, ev.lse.lo));
      lse_pending = true;
    }
    if (pending.empty() && !lse_pending) return;
    const int64_t ambiguous = static_cast<int64_t>(pending.size()) + (lse_pending ? 1 : 0);
    if (!opts_.escalate) {
      counters_.unresolved += ambiguous;
      return;
    }
    counters_.escalated += ambiguous;
    escalate(in, base, ri, pending, lse_pending);
  }

 private:
  // Tiers, cheapest first for what actually reaches them: an element the
  // double-double bound (~2^-95 relative) cannot round is almost always exactly on,
  // or within e^-1000 of, a rounding midpoint, so the exact tiers go first; MPFR
  // precisions follow for the rest, then the midpoint-sign tier at high precision.
  void escalate(const RowInput& in, size_t base, size_t ri, std::vector<int64_t> pending, bool lse_pending) {
    std::vector<double> approx;  // best approximation so far, per pending column
    for (int64_t col : pending) approx.push_back(res_.o_exact[base + static_cast<size_t>(col)]);
    double lse_approx = res_.lse_exact[ri];

    auto keep_open = [&](auto&& decided_value) {
      std::vector<int64_t> still;
      std::vector<double> still_approx;
      for (size_t k = 0; k < pending.size(); ++k) {
        if (std::optional<double> v = decided_value(k)) {
          res_.o[base + static_cast<size_t>(pending[k])] = static_cast<float>(*v);
        } else {
          still.push_back(pending[k]);
          still_approx.push_back(approx[k]);
        }
      }
      pending = std::move(still);
      approx = std::move(still_approx);
    };
    auto exact_tiers = [&](std::span<const long> sign_precisions) {
      const ExactDecision x = oracle_detail::decide_exactly(in, pending, lse_pending, fmt_);
      keep_open([&](size_t k) {
        std::optional<double> v = x.o[k];
        if (!v) v = round_beside_midpoint(approx[k], fmt_, [&](double mid) {
          return oracle_detail::sign_o_minus(in, pending[k], mid, sign_precisions);
        });
        if (v) ++counters_.exact;
        return v;
      });
      if (lse_pending) {
        std::optional<double> v = x.lse;
        if (!v) v = round_beside_midpoint(lse_approx, kFormatF32, [&](double mid) {
          return oracle_detail::sign_lse_minus(in, mid, sign_precisions);
        });
        if (v) {
          res_.lse[ri] = static_cast<float>(*v);
          ++counters_.exact;
          lse_pending = false;
        }
      }
      return pending.empty() && !lse_pending;
    };
    auto mpfr_tier = [&](std::span<const long> precisions) {
      for (long prec : precisions) {
        const MpfrDecision d = oracle_detail::evaluate_row_mpfr(in, pending, lse_pending, prec, fmt_);
        if (!d.evaluated) continue;
        for (size_t k = 0; k < pending.size(); ++k) {
          approx[k] = d.o_approx[k];
          res_.o_exact[base + static_cast<size_t>(pending[k])] = d.o_approx[k];
        }
        keep_open([&](size_t k) { return d.o[k]; });
        if (lse_pending) {
          lse_approx = d.lse_approx;
          res_.lse_exact[ri] = d.lse_approx;
          if (d.lse) {
            res_.lse[ri] = static_cast<float>(*d.lse);
            lse_pending = false;
          }
        }
        if (pending.empty() && !lse_pending) return true;
      }
      return false;
    };

    if (exact_tiers(kFirstSignPrecisions)) return;
    if (mpfr_tier(kEscalationPrecisions)) return;
    if (exact_tiers(kLastSignPrecisions)) return;
    counters_.unresolved += static_cast<int64_t>(pending.size()) + (lse_pending ? 1 : 0);
  }

  // Given an approximation within 2^-2000 of a midpoint of f, decides the side of the
  // midpoint the exact value is on with `sign_of(mid)` and returns the neighbour there.
  template <class SignOf>
  static std::optional<double> round_beside_midpoint(double approx, const BinaryFormat& f, SignOf&& sign_of) {
    if (!std::isfinite(approx)) return std::nullopt;
    const double r = f.round_nearest_even(approx);
    if (!std::isfinite(r)) return std::nullopt;
    const double below = r <= approx ? r : f.next_down(r);
    const double above = f.next_up(below);
    const double mid = std::isfinite(above) ? (below + above) / 2 : f.max_finite() + f.ulp(f.max_finite()) / 2;
    const std::optional<int> s = sign_of(mid);
    if (!s) return std::nullopt;
    const double side = *s > 0 ? above : below;
    if (side != 0.0) return side;
    // A value that rounds to zero keeps its own sign: decide it against 0 (an exact
    // zero, for which no sign is decided, is +0).
    const std::optional<int> s0 = sign_of(0.0);
    return (s0 && *s0 < 0) ? -0.0 : 0.0;
  }

  const AttentionCase& c_;
  const OracleOptions& opts_;
  OracleResult& res_;
  Counters& counters_;
  BinaryFormat fmt_;
};

template <class F>
void parallel_for(int64_t n, int threads, F&& body) {
  const int t = static_cast<int>(std::min<int64_t>(threads, n));
  if (t <= 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> pool;
  for (int k = 0; k < t; ++k)
    pool.emplace_back([&] {
      // MPFR keeps per-thread caches (constants, exp tables); release them before
      // the thread ends or they are lost with its thread-local storage.
      struct FreeMpfrCache {
        ~FreeMpfrCache() { mpfr_free_cache(); }
      } free_cache;
      for (int64_t i = next++; i < n; i = next++) {
        try {
          body(i);
        } catch (...) {
          std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      }
    });
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

OracleResult run_oracle(const AttentionCase& c, const OracleOptions& opts) {
  if (const std::string problems = validate(c); !problems.empty())
    throw std::invalid_argument("invalid case: " + problems);
  const CaseShape& s = c.shape;
  const size_t rows = static_cast<size_t>(s.batch * s.hq * s.lq);
  OracleResult res;
  res.o.assign(rows * static_cast<size_t>(s.dv), 0.0f);
  res.o_exact.assign(rows * static_cast<size_t>(s.dv), 0.0);
  res.v_scale.assign(rows * static_cast<size_t>(s.dv), 0.0);
  res.abs_weighted_v.assign(rows * static_cast<size_t>(s.dv), 0.0);
  res.lse.assign(rows, 0.0f);
  res.lse_exact.assign(rows, 0.0);
  res.score_abs_max.assign(rows, 0.0);
  res.score_spread.assign(rows, 0.0);
  res.max_abs_score.assign(rows, 0.0);
  res.rotation_dot_scale.assign(rows, 0.0);
  res.visible_keys.assign(rows, 0);
  res.fully_masked.assign(rows, 0);

  const int threads = opts.threads > 0 ? opts.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Counters counters;
  RowFinisher finisher(c, opts, res, counters);
  const int64_t ratio = s.gqa_ratio();
  const int64_t rows_per_group = ratio * s.lq, groups = s.batch * s.hkv;
  auto run_row = [&](const KvGroup& kv, int64_t b, int64_t hkv, int64_t r) {
    const int64_t h = hkv * ratio + r / s.lq, i = r % s.lq;
    const RowInput in = RowInput::make(c, kv, b, h, i);
    finisher.finish(in, oracle_detail::evaluate_row_dd(in));
  };
  if (rows_per_group >= threads || groups == 1) {
    // Enough rows per (batch, kv head): one group in memory at a time, its rows in parallel.
    for (int64_t g = 0; g < groups; ++g) {
      const KvGroup kv = KvGroup::load(c, g / s.hkv, g % s.hkv);
      parallel_for(rows_per_group, threads, [&](int64_t r) { run_row(kv, g / s.hkv, g % s.hkv, r); });
    }
  } else {
    // Few rows per group (decode): groups in parallel, one per thread at a time.
    parallel_for(groups, threads, [&](int64_t g) {
      const KvGroup kv = KvGroup::load(c, g / s.hkv, g % s.hkv);
      for (int64_t r = 0; r < rows_per_group; ++r) run_row(kv, g / s.hkv, g % s.hkv, r);
    });
  }
  res.stats.rows = static_cast<int64_t>(rows);
  res.stats.elements = static_cast<int64_t>(rows) * (s.dv + 1);
  res.stats.escalated_elements = counters.escalated;
  res.stats.exact_path_elements = counters.exact;
  res.stats.unresolved_elements = counters.unresolved;
  return res;
}

}  // namespace flashcheck
