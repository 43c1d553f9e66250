// diagnose(): a fixed sequence of probes, most specific class first (see the header).
// Every probe leaves one evidence line, whether it named the class or not.
#include "verdict/diagnosis.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <utility>

#include "verdict/absolute_rules.hpp"
#include "verdict/contract_reference.hpp"
#include "verdict/drift.hpp"
#include "verdict/output_comparison.hpp"
#include "verdict/probe_cases.hpp"

namespace flashcheck {
namespace {

// The finite stand-in for -inf in the mask probe: the largest f16, so subjects that hold
// the mask in f16 (as ggml does) still read a finite value.
constexpr float kMaskSentinel = -65504.0f;
constexpr double kLn2 = 0.693147180559945309417;
// A factor counts as seen when at least this share of the usable rows shows it within kFactorTolerance.
constexpr double kFactorShare = 0.9;
constexpr double kFactorTolerance = 1e-3;
// Boundary probe: a row ignores a key when the oracle moves by more than this many budgets
// and the subject by less than a quarter of the oracle's move.
constexpr double kBoundaryBudgets = 16.0;
// Drift: the shortest prefix measured; errors of rounding size are at most kRoundingSize
// times the f16 textbook kernel's; a 16-bit accumulator's error is over 1/kHalfShare of
// it and kBeyondContract times the contract reference's.
constexpr int64_t kDriftMinKeys = 8;
constexpr double kRoundingSize = 4.0;
constexpr double kHalfShare = 32.0;
constexpr double kBeyondContract = 8.0;

bool same_value(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }

struct RowPlace {
  int64_t b, h, i;
};
RowPlace place_of(const CaseShape& s, int64_t row) { return {row / (s.lq * s.hq), (row / s.lq) % s.hq, row % s.lq}; }

// Where the subject's non-finite values disagree with the oracle's.
struct NonFiniteCensus {
  int64_t where_finite = 0;      // non-finite where the oracle is finite
  int64_t other = 0;             // non-finite other than the oracle's (inf vs NaN, the other infinity)
  int64_t where_not_finite = 0;  // finite where the oracle is not
  int64_t in_rows_hiding_keys = 0, in_rows_without_keys = 0;  // of where_finite
  std::string first_where_finite, first_other;
  bool any() const { return where_finite + other + where_not_finite > 0; }
};

NonFiniteCensus take_census(const AttentionCase& c, const OracleResult& oracle, const RunOutput& out,
                            const KeyVisibility& vis) {
  const auto& s = c.shape;
  NonFiniteCensus n;
  // place() names the element; it is only formatted for the first of each kind.
  auto look = [&](auto place, double got, double expected, int64_t i) {
    if (std::isfinite(got) && std::isfinite(expected)) return;
    if (same_value(got, expected)) return;
    auto line = [&] {
      return fmt::format("{}: got {}, oracle {}", place(), decimal_and_hex(got), decimal_and_hex(expected));
    };
    if (std::isfinite(got)) {
      ++n.where_not_finite;
    } else if (std::isfinite(expected)) {
      if (n.where_finite++ == 0) n.first_where_finite = line();
      if (!vis.row_sees_a_key(i)) ++n.in_rows_without_keys;
      else if (vis.hidden_count(i) > 0) ++n.in_rows_hiding_keys;
    } else if (n.other++ == 0) {
      n.first_other = line();
    }
  };
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    const RowPlace p = place_of(s, row);  // plain variables: clang 14 cannot capture structured bindings
    const int64_t b = p.b, h = p.h, i = p.i;
    for (int64_t col = 0; col < s.dv; ++col)
      look([&] { return fmt::format("O[b={} h={} i={} col={}]", b, h, i, col); }, out.o.get(b, h, i, col),
           oracle.o[static_cast<size_t>(row * s.dv + col)], i);
    if (!out.lse.empty())
      look([&] { return fmt::format("LSE[b={} h={} i={}]", b, h, i); }, out.lse[static_cast<size_t>(row)],
           oracle.lse[static_cast<size_t>(row)], i);
  }
  return n;
}

// Keys at which K or V holds a non-finite value (the special distribution puts them at hidden keys).
std::vector<int64_t> keys_with_non_finite_kv(const AttentionCase& c) {
  std::vector<int64_t> keys;
  for (int64_t j = 0; j < c.shape.lk; ++j) {
    bool bad = false;
    for (const Tensor* t : {&c.k, &c.v})
      for (int64_t b = 0; b < t->shape[0] && !bad; ++b)
        for (int64_t h = 0; h < t->shape[1] && !bad; ++h)
          for (int64_t d = 0; d < t->shape[3] && !bad; ++d) bad = !std::isfinite(t->get(b, h, j, d));
    if (bad) keys.push_back(j);
  }
  return keys;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t i = 0; i < t.shape[2]; ++i)
        for (int64_t d = 0; d < t.shape[3]; ++d) m = std::max(m, std::fabs(t.get(a, b, i, d)));
  return m;
}

// The row's largest score (sink included), in double: the m of an LSE written as m + log(sum).
double row_max_score(const AttentionCase& c, int64_t b, int64_t h, int64_t i) {
  const Tensor& q = c.oracle_q();
  const int64_t g = c.kv_head(h);
  double m = c.has_sinks() ? static_cast<double>(c.sinks[static_cast<size_t>(h)])
                           : -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < c.shape.lk; ++j) {
    const double bias = c.bias(i, j);
    if (std::isinf(bias) && bias < 0) continue;
    double dot = 0;
    for (int64_t d = 0; d < c.shape.dk; ++d) dot += q.get(b, h, i, d) * c.k.get(b, g, j, d);
    double s = static_cast<double>(c.scale) * dot;
    if (c.softcap > 0.0f) s = c.softcap * std::tanh(s / c.softcap);
    m = std::max(m, s + static_cast<double>(c.slope(h)) * bias);
  }
  return m;
}

// Max over rows with a visible key of |O - exact| / max|v| (inf for a non-finite O).
double v_relative_max(const AttentionCase& c, const OracleResult& r, const Tensor& o) {
  const auto& s = c.shape;
  double worst = 0;
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    if (r.fully_masked[static_cast<size_t>(row)]) continue;
    const auto [b, h, i] = place_of(s, row);
    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const double got = o.get(b, h, i, col);
      if (!std::isfinite(got)) return std::numeric_limits<double>::infinity();
      worst = std::max(worst, std::fabs(got - r.o_exact[e]) / (r.v_scale[e] > 0 ? r.v_scale[e] : 1.0));
    }
  }
  return worst;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

class Prober {
 public:
  Prober(Backend& b, const AttentionCase& c, const OracleResult& oracle, const Verdict& failing,
         const DiagnosisOptions& o)
      : b_(b), c_(c), oracle_(oracle), failing_(failing), o_(o), vis_(c) {}

  Diagnosis run() {
    if (!first_run()) return std::move(d_);
    // Each step names the class (true) or leaves evidence and hands on. A probe that
    // cannot be carried out (a variant the oracle refuses, say) is evidence too.
    using Step = bool (Prober::*)();
    for (Step step : {&Prober::rerun, &Prober::thread_counts, &Prober::non_finite_values, &Prober::lse_base,
                      &Prober::keys_hidden_everywhere, &Prober::structural_mask_repeated, &Prober::masked_keys,
                      &Prober::mask_boundary, &Prober::layout, &Prober::overflow, &Prober::benign_scores,
                      &Prober::drift}) {
      try {
        if ((this->*step)()) return std::move(d_);
      } catch (const std::exception& e) {
        b_.set_threads(0);
        note("probe error", std::string("a probe could not be carried out: ") + e.what());
      }
    }
    d_.bug_class = "wrong-result";
    note("conclusion", "no probe made the failure go away or pointed at a specific cause: a wrong result");
    return std::move(d_);
  }

 private:
  // ---- infrastructure

  void note(const std::string& probe, const std::string& line) {
    if (d_.probes.empty() || d_.probes.back() != probe) d_.probes.push_back(probe);
    d_.evidence.push_back(probe + ": " + line);
  }

  bool conclude(const char* bug_class, const std::string& probe, const std::string& line) {
    note(probe, line);
    d_.bug_class = bug_class;
    return true;
  }

  std::optional<RunOutput> run_on(const AttentionCase& v, std::string* why) {
    ++d_.subject_runs;
    RunResult r = run_checked(b_, v);
    if (r.status == RunResult::Status::ok) return std::move(r.output);
    *why = fmt::format("the subject {}: {}", r.status == RunResult::Status::unsupported ? "refused it" : "failed",
                       r.message);
    return std::nullopt;
  }

  OracleResult oracle_of(const AttentionCase& v) {
    ++d_.oracle_runs;
    OracleOptions opts;
    opts.out_type = v.o_type;
    opts.threads = o_.oracle_threads;
    return run_oracle(v, opts);
  }

  Verdict judge_on(const AttentionCase& v, const OracleResult& r, const RunOutput& out) const {
    return o_.judge_with ? o_.judge_with(v, r, out) : judge(v, r, out);
  }

  // A variant judged end to end: nullopt (with *why) when the subject would not run it.
  struct Judged {
    RunOutput out;
    OracleResult oracle;
    Verdict verdict;
  };
  std::optional<Judged> judged(const AttentionCase& v, std::string* why, const OracleResult* known = nullptr) {
    if (const auto reason = unsupported_reason(b_.capabilities(), v)) {
      *why = "the subject does not take this variant: " + *reason;
      return std::nullopt;
    }
    std::optional<RunOutput> out = run_on(v, why);
    if (!out) return std::nullopt;
    OracleResult r = known ? *known : oracle_of(v);
    Verdict verdict = judge_on(v, r, *out);
    return Judged{std::move(*out), std::move(r), std::move(verdict)};
  }

  bool first_run() {
    if (o_.failing_output) {
      first_ = *o_.failing_output;
      return true;
    }
    std::string why;
    std::optional<RunOutput> out = run_on(c_, &why);
    if (out) {
      first_ = std::move(*out);
      return true;
    }
    d_.bug_class = "wrong-result";
    note("run", "the case cannot be rerun (" + why + "): nothing to probe");
    return false;
  }

  // ---- probes

  bool rerun() {
    std::string why;
    const std::optional<RunOutput> again = run_on(c_, &why);
    if (!again) return conclude("nondeterminism", "rerun", "the same input now fails to run: " + why);
    const OutputDifference bits = bitwise_difference(c_, first_, *again);
    if (bits.identical()) {
      note("rerun", fmt::format("the same bits again in all {} O and LSE elements", bits.compared));
      return false;
    }
    const BudgetDifference d = difference_beyond_budget(c_, oracle_, first_, *again, o_.budget);
    const bool passes_now = judge_on(c_, oracle_, *again).pass;
    const std::string line = fmt::format("a second run changed {} of {} element(s) ({} beyond the budget; the rerun "
                                         "{} the verdict); first {}",
                                         bits.differing, bits.compared, d.over, passes_now ? "passes" : "fails",
                                         bits.first);
    if (d.over > 0 || passes_now) return conclude("nondeterminism", "rerun", line);
    note("rerun", line + ": within the budget, not the cause");
    return false;
  }

  // The chosen counts against each other, and the first against the run being diagnosed
  // (made with the subject's default count).
  bool thread_counts() {
    if (!b_.set_threads(o_.threads_a)) {
      note("threads", "the subject has no worker-thread count to choose");
      return false;
    }
    std::string why;
    const std::optional<RunOutput> a = run_on(c_, &why);
    b_.set_threads(o_.threads_b);
    const std::optional<RunOutput> other = a ? run_on(c_, &why) : std::nullopt;
    b_.set_threads(0);
    if (!a || !other)
      return conclude("thread-dependence", "threads", "a run with a chosen thread count failed: " + why);
    struct Run {
      const RunOutput* out;
      std::string name;
    };
    const Run one{&*a, fmt::format("{} thread(s)", o_.threads_a)};
    const Run two{&*other, fmt::format("{} threads", o_.threads_b)};
    const Run initial{&first_, "the default count"};
    for (const auto& [x, y] : {std::pair{one, two}, std::pair{initial, one}}) {
      const OutputDifference bits = bitwise_difference(c_, *x.out, *y.out);
      if (bits.identical()) continue;
      const BudgetDifference d = difference_beyond_budget(c_, oracle_, *x.out, *y.out, o_.budget);
      const bool pass_x = judge_on(c_, oracle_, *x.out).pass, pass_y = judge_on(c_, oracle_, *y.out).pass;
      const std::string line =
          fmt::format("{} and {} differ in {} of {} element(s), {} beyond the budget (verdicts: {}, {}); first {}",
                      x.name, y.name, bits.differing, bits.compared, d.over, pass_x ? "pass" : "fail",
                      pass_y ? "pass" : "fail", bits.first);
      if (d.over > 0 || pass_x != pass_y) return conclude("thread-dependence", "threads", line);
      note("threads", line + ": within the budget, not the cause");
      return false;
    }
    note("threads", fmt::format("{}, {} and the default count gave the same bits", one.name, two.name));
    return false;
  }

  bool non_finite_values() {
    census_ = take_census(c_, oracle_, first_, vis_);
    if (!census_.any()) {
      note("non-finite census", "every value is finite where the oracle's is, and the same where it is not");
      return false;
    }
    note("non-finite census",
         fmt::format("{} non-finite where the oracle is finite ({} in rows that hide keys, {} in rows that see no "
                     "key), {} non-finite other than the oracle's, {} finite where the oracle is not",
                     census_.where_finite, census_.in_rows_hiding_keys, census_.in_rows_without_keys, census_.other,
                     census_.where_not_finite));
    if (census_.other > 0)
      return conclude("nan-from-inf", "non-finite census",
                      "an infinity or NaN where the oracle has another non-finite value: inf/NaN arithmetic, not "
                      "rounding; first " + census_.first_other);
    if (census_.where_finite == 0) return false;
    return finite_inputs() || finite_mask();
  }

  // Non-finite K/V (at hidden keys, since the oracle is finite) replaced by finite values.
  bool finite_inputs() {
    const std::vector<int64_t> keys = keys_with_non_finite_kv(c_);
    if (keys.empty()) return false;
    auto finite_value = [](const Tensor& values, const std::optional<QuantizedKv>& q) -> KvValueFn {
      return [&values, &q](int64_t b, int64_t h, int64_t j, int64_t d) {
        if (q) return q->source.get(b, h, j, d);
        const double v = values.get(b, h, j, d);
        return std::isfinite(v) ? v : 0.0;
      };
    };
    const AttentionCase v = with_kv_at_keys(c_, keys, finite_value(c_.k, c_.k_quant), finite_value(c_.v, c_.v_quant));
    std::string why;
    const std::optional<Judged> j = judged(v, &why);
    if (!j) {
      note("finite inputs", why);
      return false;
    }
    const std::string what = fmt::format("the non-finite K/V values at {} key(s) made finite", keys.size());
    if (j->verdict.pass)
      return conclude("nan-from-inf", "finite inputs",
                      what + ": the failure goes away, so it came from inf/NaN inputs at hidden keys reaching O");
    note("finite inputs", what + ": still fails (" + j->verdict.summary() + ")");
    return false;
  }

  // The mask as one explicit mask with a finite sentinel for -inf.
  bool finite_mask() {
    if (!vis_.any_hidden()) {
      note("finite mask", "the mask hides nothing: no -inf to replace");
      return false;
    }
    std::string why;
    const std::optional<Judged> j = judged(with_explicit_mask(c_, kMaskSentinel, false), &why);
    if (!j) {
      note("finite mask", why);
      return false;
    }
    const std::string what = fmt::format("every hidden pair given the finite bias {} in an explicit mask",
                                         decimal_and_hex(kMaskSentinel));
    if (j->verdict.pass)
      return conclude("nan-from-inf", "finite mask",
                      what + ": the failure goes away, so the -inf of the mask made the non-finite values");
    note("finite mask", what + ": still fails (" + j->verdict.summary() + ")");
    return false;
  }

  bool lse_base() {
    if (first_.lse.empty()) {
      note("lse base", "the subject returns no LSE");
      return false;
    }
    RunOutput o_only = first_;
    o_only.lse = oracle_.lse;
    if (!judge_on(c_, oracle_, o_only).pass) {
      note("lse base", "O fails on its own: not an LSE-only failure");
      return false;
    }
    const auto& s = c_.shape;
    std::vector<double> whole, above_max;
    for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
      const double got = first_.lse[static_cast<size_t>(row)], exact = oracle_.lse_exact[static_cast<size_t>(row)];
      if (oracle_.fully_masked[static_cast<size_t>(row)] || !std::isfinite(got) || !std::isfinite(exact)) continue;
      if (std::fabs(exact) > kFactorTolerance) whole.push_back(got / exact);
      const auto [b, h, i] = place_of(s, row);
      const double m = row_max_score(c_, b, h, i);
      if (std::fabs(exact - m) > kFactorTolerance) above_max.push_back((got - m) / (exact - m));
    }
    auto share_near = [](const std::vector<double>& ratios, double factor) {
      if (ratios.empty()) return 0.0;
      const auto near = std::count_if(ratios.begin(), ratios.end(), [&](double r) {
        return std::fabs(r / factor - 1.0) < kFactorTolerance;
      });
      return static_cast<double>(near) / static_cast<double>(ratios.size());
    };
    const std::string line = fmt::format(
        "O passes; median LSE_got / LSE_exact {:.6g} over {} rows, median (LSE_got - m) / (LSE_exact - m) {:.6g} "
        "over {} rows (1/ln2 = {:.6g}, ln2 = {:.6g})",
        median(whole), whole.size(), median(above_max), above_max.size(), 1.0 / kLn2, kLn2);
    for (const auto& [ratios, form] : {std::pair{&whole, "LSE"}, std::pair{&above_max, "LSE above the row maximum"}})
      for (const auto& [factor, name] : {std::pair{1.0 / kLn2, "1/ln2"}, std::pair{kLn2, "ln2"}})
        if (share_near(*ratios, factor) >= kFactorShare)
          return conclude("lse-base", "lse base",
                          fmt::format("{}: the {} is scaled by {} in {:.0f}% of the rows, a log of the other base",
                                      line, form, name, 100 * share_near(*ratios, factor)));
    note("lse base", line + ": no base factor");
    return false;
  }

  // Finite garbage only: a kernel whose -inf handling fails leaks keys its structural
  // mask hides, which the next probe tells apart.
  bool keys_hidden_everywhere() {
    const std::vector<int64_t> keys = vis_.hidden_from_every_row();
    if (keys.empty()) {
      note("keys hidden from every row", "there are none");
      return false;
    }
    AbsoluteRuleOptions ro;
    ro.masked_kv_may_be_read = o_.masked_kv_may_be_read;
    const RuleResult r = check_keys_have_no_influence(b_, c_, first_, keys, ro, true);
    d_.subject_runs += r.runs;
    if (r.applicable && !r.holds)
      return conclude("masked-key-leak", "keys hidden from every row", "K/V there reach O: " + r.detail);
    note("keys hidden from every row", r.detail);
    return false;
  }

  // The causal / window mask kept on and repeated by an explicit mask with a finite
  // sentinel: a kernel whose masking logic is wrong still fails, one whose -inf is lost
  // (finite-math builds folding it away) passes.
  bool structural_mask_repeated() {
    if (c_.mask_kind != MaskKind::causal && c_.mask_kind != MaskKind::window) {
      note("structural mask repeated", "the case has no causal or window mask");
      return false;
    }
    std::string why;
    const std::optional<Judged> j = judged(with_explicit_mask(c_, kMaskSentinel, true), &why);
    if (!j) {
      note("structural mask repeated", why);
      return false;
    }
    const std::string what = fmt::format("the {} mask kept and repeated by an explicit mask of {} at every hidden "
                                         "pair",
                                         to_string(c_.mask_kind), decimal_and_hex(kMaskSentinel));
    if (j->verdict.pass)
      return conclude("nan-from-inf", "structural mask repeated",
                      what + ": the failure goes away, so the kernel's own -inf masking is what fails");
    note("structural mask repeated", what + ": still fails (" + j->verdict.summary() + ")");
    return false;
  }

  bool masked_keys() {
    AbsoluteRuleOptions ro;
    ro.masked_kv_may_be_read = o_.masked_kv_may_be_read;
    const RuleResult r = check_masked_keys_have_no_influence(b_, c_, first_, ro);
    d_.subject_runs += r.runs;
    if (!r.applicable) {
      note("masked keys", r.detail);
      return false;
    }
    if (!r.holds) return conclude("masked-key-leak", "masked keys", "K/V at hidden keys reach O: " + r.detail);
    note("masked keys", r.detail);
    return false;
  }

  // V at the keys some rows see and others do not moved far: the rows the oracle says
  // react must react, the rows it says do not must not.
  bool mask_boundary() {
    const std::vector<int64_t> keys = vis_.boundary_keys();
    if (keys.empty()) {
      note("mask boundary", "no key is seen by some rows and hidden from others");
      return false;
    }
    // A subject that reads the wrong keys or weights them wrongly also "ignores" boundary
    // keys; only a failure that goes away without the mask is the mask's.
    {
      std::string why;
      const std::optional<Judged> unmasked = judged(with_no_mask(c_), &why);
      if (!unmasked) {
        note("mask boundary", "cannot run the case without its mask: " + why);
        return false;
      }
      if (!unmasked->verdict.pass) {
        note("mask boundary", "the case fails without its mask too (" + unmasked->verdict.summary() +
                                  "): the failure is not the mask's");
        return false;
      }
    }
    AttentionCase v;
    try {
      v = with_kv_at_keys(c_, keys, {}, [this](int64_t b, int64_t h, int64_t j, int64_t d) {
        const double base = c_.v_quant ? c_.v_quant->source.get(b, h, j, d) : c_.v.get(b, h, j, d);
        return base + ((j + d) % 2 == 0 ? 1024.0 : -1024.0);
      });
    } catch (const std::exception& e) {
      note("mask boundary", std::string("cannot move V there: ") + e.what());
      return false;
    }
    std::string why;
    const std::optional<RunOutput> out = run_on(v, &why);
    if (!out) {
      note("mask boundary", why);
      return false;
    }
    const OracleResult moved = oracle_of(v);
    const auto& s = c_.shape;
    int64_t blind = 0, leaky = 0, rows = 0;
    std::string first_blind, first_leaky;
    for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
      const auto [b, h, i] = place_of(s, row);
      if (!vis_.row_sees_a_key(i)) continue;
      double oracle_move = 0, subject_move = 0, budget = 0;
      bool finite = true;
      for (int64_t col = 0; col < s.dv; ++col) {
        const auto e = static_cast<size_t>(row * s.dv + col);
        const double before = first_.o.get(b, h, i, col), after = out->o.get(b, h, i, col);
        finite = finite && std::isfinite(before) && std::isfinite(after);
        oracle_move = std::max(oracle_move, std::fabs(moved.o_exact[e] - oracle_.o_exact[e]));
        subject_move = std::max(subject_move, std::fabs(after - before));
        budget = std::max(budget, o_budget(c_, oracle_, row, col, o_.budget) + o_budget(v, moved, row, col, o_.budget));
      }
      if (!finite) continue;
      ++rows;
      const std::string where = fmt::format("row b={} h={} i={}: the oracle moves by {}, the subject by {}", b, h, i,
                                            decimal_and_hex(oracle_move), decimal_and_hex(subject_move));
      if (oracle_move > kBoundaryBudgets * budget && subject_move < oracle_move / 4) {
        if (blind++ == 0) first_blind = where;
      } else if (oracle_move == 0 && subject_move > 0) {
        if (leaky++ == 0) first_leaky = where;
      }
    }
    const std::string line = fmt::format("V moved by +-1024 at {} boundary key(s) ({}); of {} rows with finite O, {} "
                                         "ignore keys they see, {} react to keys hidden from them",
                                         keys.size(), keys.front(), rows, blind, leaky);
    if (blind + leaky > 0)
      return conclude("masked-key-leak", "mask boundary",
                      line + "; first " + (blind ? first_blind : first_leaky) +
                          ": the subject applies another mask than the case's");
    note("mask boundary", line);
    return false;
  }

  bool layout() {
    if (!c_.has_quantized_kv()) {
      note("layout", "K and V are not block-quantized");
      return false;
    }
    std::string why;
    if (const std::optional<Judged> plain = judged(with_plain_kv(c_), &why, &oracle_)) {
      if (plain->verdict.pass)
        return conclude("layout-mismatch", "layout",
                        "the same dequantized values given as plain f32 K/V pass: the failure is in reading the "
                        "block storage");
      note("layout", "plain f32 K/V with the same values still fail (" + plain->verdict.summary() + ")");
    } else {
      note("layout", "plain f32 K/V: " + why);
    }
    const std::optional<AttentionCase> swapped = with_swapped_kv_layout(c_, &why);
    if (!swapped) {
      note("layout", "the other row layout: " + why);
      return false;
    }
    if (const std::optional<Judged> other = judged(*swapped, &why, &oracle_)) {
      if (other->verdict.pass)
        return conclude("layout-mismatch", "layout",
                        "the same blocks in the other row layout pass: the failure is in reading this layout");
      note("layout", "the other row layout still fails (" + other->verdict.summary() + ")");
    } else {
      note("layout", "the other row layout: " + why);
    }
    return false;
  }

  bool overflow() {
    if (c_.v_quant) {
      note("overflow", "V is block-quantized: not rescaled");
      return false;
    }
    if (!all_finite(c_.q) || !all_finite(c_.k) || !all_finite(c_.v)) {
      note("overflow", "the inputs hold non-finite values: not an overflow of finite data");
      return false;
    }
    const double v_max = max_abs(c_.v);
    if (!(v_max >= 2.0)) {
      note("overflow", fmt::format("max |V| is {}: nothing to scale down", decimal_and_hex(v_max)));
      return false;
    }
    const int shift = std::ilogb(v_max);
    std::string why;
    const std::optional<Judged> j = judged(with_v_scaled_down(c_, shift), &why);
    if (!j) {
      note("overflow", why);
      return false;
    }
    const std::string what = fmt::format("V scaled by 2^-{} (max |V| {} -> below 2)", shift, decimal_and_hex(v_max));
    if (j->verdict.pass)
      return conclude("overflow", "overflow", what + ": the failure goes away, so large values overflowed");
    note("overflow", what + ": still fails (" + j->verdict.summary() + ")");
    return false;
  }

  bool benign_scores() {
    if (census_.where_finite == 0) return false;
    std::string why;
    const AttentionCase benign = with_no_mask(with_zero_q(c_));
    const std::optional<Judged> j = judged(benign, &why);
    if (!j) {
      note("benign scores", why);
      return false;
    }
    const NonFiniteCensus n = take_census(benign, j->oracle, j->out, KeyVisibility(benign));
    if (n.where_finite > 0)
      return conclude("nan-from-inf", "benign scores",
                      fmt::format("with Q = 0 and no mask (every score 0, every key visible) the subject still gives "
                                  "{} non-finite value(s) where the oracle is finite: its own infinities or sentinels "
                                  "make them; first {}",
                                  n.where_finite, n.first_where_finite));
    note("benign scores", fmt::format("with Q = 0 and no mask the non-finite values go away (verdict: {})",
                                      j->verdict.summary()));
    return false;
  }

  double error_of(const AttentionCase& v, const OracleResult& r, DType operands, DType accumulation) const {
    return v_relative_max(v, r, contract_reference(v, operands, accumulation).o);
  }

  bool drift() {
    if (census_.any()) {
      note("drift", "the output has non-finite values: not rounding drift");
      return false;
    }
    const double error = v_relative_max(c_, oracle_, first_.o);
    const double contract_error = error_of(c_, oracle_, o_.operands, o_.accumulation);
    const double half_error = error_of(c_, oracle_, DType::f16, DType::f16);
    const std::string sizes = fmt::format("V-relative error {:.3g}, contract reference {:.3g}, f16 textbook {:.3g}",
                                          error, contract_error, half_error);
    if (error > kRoundingSize * half_error) {
      note("drift", sizes + ": beyond rounding size, not drift");
      return false;
    }
    const bool wider_than_half = traits(o_.accumulation).format.precision > traits(DType::f16).format.precision;
    if (wider_than_half && error > half_error / kHalfShare && error > kBeyondContract * contract_error)
      return conclude("drift", "drift",
                      sizes + ": the error a 16-bit accumulator makes, far beyond the contract's arithmetic");
    DriftSeries series = key_prefix_series();
    if (series.drift) return conclude("drift", "drift", sizes + "; " + series.diagnosis);
    note("drift", sizes + "; " + series.diagnosis);
    return false;
  }

  // The error on the first Lk/16, Lk/4 and all keys, against the contract reference's.
  DriftSeries key_prefix_series() {
    const int64_t lk = c_.shape.lk;
    std::vector<int64_t> lengths;
    for (int64_t l : {lk / 16, lk / 4})
      if (l >= kDriftMinKeys && (lengths.empty() || l > lengths.back())) lengths.push_back(l);
    lengths.push_back(lk);
    DriftSeries series;
    series.distribution = c_.family;
    std::string table;
    for (int64_t l : lengths) {
      DriftPoint p;
      p.lk = l;
      std::string why;
      const AttentionCase v = l == lk ? c_ : with_key_prefix(c_, l);
      const std::optional<Judged> j =
          l == lk ? std::optional<Judged>(Judged{first_, oracle_, failing_}) : judged(v, &why);
      if (j) {
        p.verdict_pass = j->verdict.pass;
        p.worst_budget_ratio = j->verdict.worst_budget_ratio;
        p.kernel_error = v_relative_max(v, j->oracle, j->out.o);
        p.reference_error = error_of(v, j->oracle, o_.operands, o_.accumulation);
      } else {
        p.problem = why;
      }
      table += fmt::format("{}Lk={}: {}", table.empty() ? "" : ", ", l,
                           p.problem.empty() ? fmt::format("{:.3g} (reference {:.3g})", p.kernel_error,
                                                           p.reference_error)
                                             : p.problem);
      series.points.push_back(std::move(p));
    }
    diagnose_drift(series);
    series.diagnosis = "key prefixes " + table + ": " + series.diagnosis;
    return series;
  }

  Backend& b_;
  const AttentionCase& c_;
  const OracleResult& oracle_;
  const Verdict& failing_;
  const DiagnosisOptions& o_;
  const KeyVisibility vis_;
  RunOutput first_;
  NonFiniteCensus census_;
  Diagnosis d_;
};

}  // namespace

Diagnosis diagnose(Backend& b, const AttentionCase& c, const OracleResult& oracle, const Verdict& failing,
                   const DiagnosisOptions& o) {
  return Prober(b, c, oracle, failing, o).run();
}

std::string describe(const Diagnosis& d) {
  std::string s = "bug class: " + d.bug_class;
  for (const std::string& line : d.evidence) s += "\n  " + line;
  s += fmt::format("\n  ({} subject run(s), {} oracle run(s))", d.subject_runs, d.oracle_runs);
  return s;
}

}  // namespace flashcheck
