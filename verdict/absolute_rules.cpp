#include "verdict/absolute_rules.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>
#include <optional>
#include <utility>

#include "verdict/output_comparison.hpp"
#include "verdict/probe_cases.hpp"

namespace flashcheck {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Deterministic garbage of magnitude [2^e, 2^(e+1)) with mixed signs; exact in f16 and
// bf16 for the exponents used here.
KvValueFn garbage(int exponent) {
  return [exponent](int64_t b, int64_t h, int64_t j, int64_t d) {
    const double sign = (j + d + h) % 2 == 0 ? 1.0 : -1.0;
    const double fraction = static_cast<double>((j * 31 + d * 7 + h * 3 + b) % 16) / 16.0;
    return sign * std::ldexp(1.0 + fraction, exponent);
  };
}

KvValueFn constant(double value) {
  return [value](int64_t, int64_t, int64_t, int64_t) { return value; };
}

KvValueFn non_finite_values(int64_t phase) {
  return [phase](int64_t, int64_t h, int64_t j, int64_t d) {
    switch ((j + d + h + phase) % 3) {
      case 0: return kNaN;
      case 1: return kInf;
      default: return -kInf;
    }
  };
}

struct GarbageFill {
  std::string what;
  KvValueFn k, v;
};

std::vector<GarbageFill> garbage_fills(const AttentionCase& c, bool non_finite, std::string* skipped) {
  std::vector<GarbageFill> fills{
      {"K and V large finite (|K| ~ 2^8, |V| ~ 2^12)", garbage(8), garbage(12)},
      {"K = 0 (a leaked score is 0) and V large finite", constant(0.0), garbage(12)},
  };
  if (!non_finite) {
    *skipped = "finite values only";
  } else if (c.k_quant && c.v_quant) {
    *skipped = "no NaN/inf written: block-quantized K/V hold finite values only";
  } else {
    fills.push_back({std::string("NaN and +-inf in ") + (c.k_quant ? "V" : c.v_quant ? "K" : "K and V"),
                     c.k_quant ? KvValueFn{} : non_finite_values(0), c.v_quant ? KvValueFn{} : non_finite_values(1)});
  }
  return fills;
}

std::string list_some(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t n = 0; n < v.size() && n < 6; ++n) s += (n ? ", " : "") + std::to_string(v[n]);
  if (v.size() > 6) s += fmt::format(", ... ({} in all)", v.size());
  return s;
}

bool holds_non_finite(const AttentionCase& c, const std::vector<int64_t>& keys) {
  for (const Tensor* t : {&c.k, &c.v})
    for (int64_t b = 0; b < t->shape[0]; ++b)
      for (int64_t h = 0; h < t->shape[1]; ++h)
        for (int64_t j : keys)
          for (int64_t d = 0; d < t->shape[3]; ++d)
            if (!std::isfinite(t->get(b, h, j, d))) return true;
  return false;
}

// Runs the subject; the output, or nullopt with the reason in *why.
std::optional<RunOutput> run_again(Backend& b, const AttentionCase& c, std::string* why) {
  RunResult r = run_checked(b, c);
  if (r.status == RunResult::Status::ok) return std::move(r.output);
  *why = fmt::format("the run {}: {}", r.status == RunResult::Status::unsupported ? "was refused" : "failed",
                     r.message);
  return std::nullopt;
}

}  // namespace

RuleResult check_keys_have_no_influence(Backend& b, const AttentionCase& c, const RunOutput& first_run,
                                        const std::vector<int64_t>& keys, const AbsoluteRuleOptions& o,
                                        bool finite_only) {
  RuleResult r{kRuleMaskedKeys, true, true, "", 0};
  const std::vector<int64_t> rows = KeyVisibility(c).rows_hiding_all(keys);
  if (keys.empty() || rows.empty()) {
    r.applicable = false;
    r.detail = "no query row that sees a key hides all of them";
    return r;
  }
  if (o.masked_kv_may_be_read && holds_non_finite(c, keys)) {
    r.applicable = false;
    r.detail = fmt::format("keys {} already hold NaN/inf, which the contract lets the kernel read", list_some(keys));
    return r;
  }
  const bool non_finite = !finite_only && !o.masked_kv_may_be_read;
  const int64_t lq = c.shape.lq;
  const RowFilter compared = [&](int64_t row) { return std::binary_search(rows.begin(), rows.end(), row % lq); };
  std::string skipped;
  std::vector<std::string> done;
  for (const GarbageFill& fill : garbage_fills(c, non_finite, &skipped)) {
    const std::string pass = fmt::format("keys {} set to {}, query rows {} compared", list_some(keys), fill.what,
                                         list_some(rows));
    std::string why;
    ++r.runs;
    const std::optional<RunOutput> out = run_again(b, with_kv_at_keys(c, keys, fill.k, fill.v), &why);
    if (!out) {
      r.holds = false;
      r.detail = pass + ": " + why;
      return r;
    }
    const OutputDifference d = bitwise_difference(c, first_run, *out, compared);
    if (!d.identical()) {
      r.holds = false;
      r.detail = fmt::format("{}: {} of {} element(s) changed; first {}", pass, d.differing, d.compared, d.first);
      return r;
    }
    done.push_back(fill.what);
  }
  r.detail = fmt::format("keys {}: O and LSE of query rows {} bit-identical with {}", list_some(keys),
                         list_some(rows), fmt::join(done, "; "));
  if (!skipped.empty()) r.detail += " (" + skipped + ")";
  return r;
}

RuleResult check_masked_keys_have_no_influence(Backend& b, const AttentionCase& c, const RunOutput& first_run,
                                               const AbsoluteRuleOptions& o) {
  RuleResult r{kRuleMaskedKeys, true, true, "", 0};
  const KeyVisibility vis(c);
  std::vector<std::pair<std::string, std::vector<int64_t>>> sets;
  const std::vector<int64_t> everywhere = vis.hidden_from_every_row();
  if (!everywhere.empty()) sets.emplace_back("hidden from every row", everywhere);
  if (const int64_t i = vis.most_hiding_row(); i >= 0 && vis.hidden_from_row(i).size() > everywhere.size())
    sets.emplace_back(fmt::format("hidden from query row {}", i), vis.hidden_from_row(i));
  if (sets.empty()) {
    r.applicable = false;
    r.detail = "the mask hides no key from a query row that sees one";
    return r;
  }
  std::vector<std::string> held;
  bool checked = false;
  for (const auto& [what, keys] : sets) {
    const RuleResult one = check_keys_have_no_influence(b, c, first_run, keys, o, false);
    r.runs += one.runs;
    if (!one.applicable) {
      held.push_back(what + ": not applicable: " + one.detail);
      continue;
    }
    if (!one.holds) {
      r.holds = false;
      r.detail = what + ": " + one.detail;
      return r;
    }
    checked = true;
    held.push_back(what + ": " + one.detail);
  }
  r.applicable = checked;
  r.detail = fmt::format("{}", fmt::join(held, "; "));
  if (o.masked_kv_may_be_read) r.detail += "; no NaN/inf written: the contract lets the kernel read masked K/V";
  return r;
}

RuleResult check_rerun_determinism(Backend& b, const AttentionCase& c, const RunOutput& first_run) {
  RuleResult r{kRuleRerun, true, true, "", 1};
  std::string why;
  const std::optional<RunOutput> again = run_again(b, c, &why);
  if (!again) {
    r.holds = false;
    r.detail = "rerun: " + why;
    return r;
  }
  const OutputDifference d = bitwise_difference(c, first_run, *again);
  r.holds = d.identical();
  r.detail = d.identical() ? fmt::format("a second run gave the same bits in all {} O and LSE elements", d.compared)
                           : fmt::format("a second run changed {} of {} element(s); first {}", d.differing,
                                         d.compared, d.first);
  return r;
}

RuleResult check_thread_independence(Backend& b, const AttentionCase& c, const AbsoluteRuleOptions& o) {
  RuleResult r{kRuleThreads, true, true, "", 0};
  if (!b.set_threads(o.threads_a)) {
    r.applicable = false;
    r.detail = "the subject has no worker-thread count to choose";
    return r;
  }
  std::string why;
  r.runs = 2;
  const std::optional<RunOutput> a = run_again(b, c, &why);
  b.set_threads(o.threads_b);
  const std::optional<RunOutput> other = a ? run_again(b, c, &why) : std::nullopt;
  b.set_threads(0);
  if (!a || !other) {
    r.holds = false;
    r.detail = why;
    return r;
  }
  const OutputDifference bits = bitwise_difference(c, *a, *other);
  if (bits.identical()) {
    r.detail = fmt::format("{} and {} threads gave bit-identical O and LSE", o.threads_a, o.threads_b);
    return r;
  }
  std::optional<OracleResult> own;
  if (!o.oracle) {
    OracleOptions opts;
    opts.out_type = c.o_type;
    opts.threads = o.oracle_threads;
    own = run_oracle(c, opts);
  }
  const BudgetDifference d = difference_beyond_budget(c, o.oracle ? *o.oracle : *own, *a, *other, o.budget);
  r.holds = d.over == 0;
  r.detail = fmt::format("{} and {} threads differ in {} of {} element(s) (not bit-identical); {} beyond the budget, "
                         "worst |difference|/budget {:.3g}: {}",
                         o.threads_a, o.threads_b, bits.differing, bits.compared, d.over, d.worst_ratio, d.worst);
  return r;
}

std::vector<RuleResult> check_absolute_rules(Backend& b, const AttentionCase& c, const RunOutput& first_run,
                                             const AbsoluteRuleOptions& o) {
  return {check_masked_keys_have_no_influence(b, c, first_run, o), check_rerun_determinism(b, c, first_run),
          check_thread_independence(b, c, o)};
}

std::string describe(const RuleResult& r) {
  return fmt::format("{}: {}: {}", r.rule, !r.applicable ? "not applicable" : r.holds ? "holds" : "BROKEN", r.detail);
}

}  // namespace flashcheck
