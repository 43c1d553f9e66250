#include "cli/report_text.hpp"

#include "core/contract.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "cli/artifacts.hpp"
#include "cli/recipe_flags.hpp"

namespace flashcheck::cli {
namespace {

// Messages can span lines (validation lists every problem); a table cell cannot.
std::string one_line(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  std::string out;
  for (char c : s) out += c == '\n' ? std::string("; ") : std::string(1, c);
  return out;
}

// The table shows the reason's start; the full text follows under "Failures".
std::string clipped(std::string s, size_t max_chars = 100) {
  if (s.size() > max_chars) s = s.substr(0, max_chars - 3) + "...";
  return s;
}

// Why a judged case failed: its broken rules, or the verdict's own summary.
std::vector<std::string> failure_reasons(const Verdict& v) {
  if (!v.rule_failures.empty()) return v.rule_failures;
  return {v.summary()};
}

std::string verdict_cell(const CaseOutcome& o) {
  switch (o.status) {
    case CaseOutcome::Status::pass: return "pass";
    case CaseOutcome::Status::fail: {
      // A broken absolute rule fails a case whose verdict passed: its line is in the message.
      const bool verdict_failed = o.verdict && !o.verdict->pass;
      const std::string head = o.diagnosis ? "FAIL [" + o.diagnosis->bug_class + "]: " : "FAIL: ";
      return clipped(head + one_line(verdict_failed ? failure_reasons(*o.verdict).front() : o.message));
    }
    case CaseOutcome::Status::unsupported: return "unsupported: " + one_line(o.message);
    case CaseOutcome::Status::error:  // a crash or hang reads as itself: "crashed (signal 11, SIGSEGV)"
      return clipped(o.fault.empty() ? "ERROR: " + one_line(o.message) : one_line(o.message));
  }
  return "?";
}

struct Column {
  std::string_view title;
  bool numeric;  // right-aligned
  std::string (*cell)(const CaseOutcome&);
};

std::string metric_or_dash(const CaseOutcome& o, double (*pick)(const Verdict&), const char* spec) {
  if (!o.verdict) return "-";
  return fmt::format(fmt::runtime(spec), pick(*o.verdict));
}

const std::array<Column, 7> kColumns{{
    {"backend", false, [](const CaseOutcome& o) { return o.backend; }},
    {"case family", false, [](const CaseOutcome& o) { return o.family; }},
    {"max err (ulps)", true,
     [](const CaseOutcome& o) {
       return metric_or_dash(o, [](const Verdict& v) { return v.o_metrics.ulp_error.max; }, "{:.4g}");
     }},
    {"max V-rel err", true,
     [](const CaseOutcome& o) {
       return metric_or_dash(o, [](const Verdict& v) { return v.o_metrics.v_rel_error.max; }, "{:.3e}");
     }},
    {"NMSE", true,
     [](const CaseOutcome& o) { return metric_or_dash(o, [](const Verdict& v) { return v.o_metrics.nmse; }, "{:.3e}"); }},
    {"budget use", true,
     [](const CaseOutcome& o) {
       return metric_or_dash(o, [](const Verdict& v) { return v.worst_budget_ratio; }, "{:.3g}");
     }},
    {"verdict", false, verdict_cell},
}};

std::string summary_line(std::string_view name, const Summary& s) {
  return fmt::format("  {:<14} p50 {:<11.4g} p90 {:<11.4g} p99 {:<11.4g} max {:.4g} (hex {:a})  [{} values]\n", name,
                     s.p50, s.p90, s.p99, s.max, s.max, s.count);
}

std::string metrics_block(std::string_view tensor, const ErrorMetrics& m) {
  std::string out = fmt::format("{} ({} elements):\n", tensor, m.elements);
  out += summary_line("abs error", m.abs_error);
  out += summary_line("V-rel error", m.v_rel_error);
  out += summary_line("ulp error", m.ulp_error);
  out += fmt::format("  {:<14} {:.4e}\n", "NMSE", m.nmse);
  if (m.nonfinite_where_finite > 0)
    out += fmt::format("  {:<14} {} elements are NaN/Inf where the oracle is finite\n", "non-finite", m.nonfinite_where_finite);
  return out;
}

// Quantized KV: the kernel's own error beside the format's, so neither hides the other.
std::string quantization_block(const QuantizationSplit& q) {
  std::string out = "error split (quantized KV; O, V-relative max and NMSE):\n";
  const struct {
    const char* what;
    const ErrorMetrics& m;
  } lines[] = {{"implementation (kernel vs exact on dequantized K/V)", q.implementation},
               {"quantization   (exact dequantized vs exact unquantized)", q.quantization},
               {"total          (kernel vs exact unquantized)", q.total}};
  for (const auto& l : lines)
    out += fmt::format("  {}: V-rel max {:.4g} ({:a}), NMSE {:.4e}\n", l.what, l.m.v_rel_error.max, l.m.v_rel_error.max,
                       l.m.nmse);
  return out;
}

std::string oracle_counts(const OracleStats& s) {
  return fmt::format("{} rows, {} elements, {} escalated past double-double ({:.3g}%), {} decided exactly, {} unresolved\n",
                     s.rows, s.elements, s.escalated_elements, 100.0 * s.escalation_rate(), s.exact_path_elements,
                     s.unresolved_elements);
}

}  // namespace

std::string format_outcome_table(const std::vector<CaseOutcome>& outcomes) {
  std::vector<std::array<std::string, kColumns.size()>> rows;
  std::array<size_t, kColumns.size()> width{};
  for (size_t c = 0; c < kColumns.size(); ++c) width[c] = kColumns[c].title.size();
  for (const auto& o : outcomes) {
    auto& row = rows.emplace_back();
    for (size_t c = 0; c < kColumns.size(); ++c) {
      row[c] = kColumns[c].cell(o);
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto render_row = [&](auto text_of) {
    std::string line;
    for (size_t c = 0; c < kColumns.size(); ++c) {
      const std::string text(text_of(c));
      const bool last = c + 1 == kColumns.size();
      if (c > 0) line += " | ";
      if (last)
        line += text;  // no trailing padding
      else if (kColumns[c].numeric)
        line += fmt::format("{:>{}}", text, width[c]);
      else
        line += fmt::format("{:<{}}", text, width[c]);
    }
    return line + "\n";
  };
  std::string out = render_row([](size_t c) { return kColumns[c].title; });
  std::string rule;
  for (size_t c = 0; c < kColumns.size(); ++c) {
    if (c > 0) rule += "-+-";
    rule += std::string(c + 1 == kColumns.size() ? std::max<size_t>(width[c], 7) : width[c], '-');
  }
  out += rule + "\n";
  for (const auto& row : rows) out += render_row([&](size_t c) { return std::string_view(row[c]); });
  return out;
}

std::string format_totals(const std::vector<CaseOutcome>& outcomes, const OracleTotals& oracle) {
  struct Counts {
    int64_t pass = 0, fail = 0, unsupported = 0, error = 0;
  };
  std::map<std::string, Counts> per_backend;
  Counts all;
  for (const auto& o : outcomes) {
    for (Counts* c : {&per_backend[o.backend], &all}) {
      switch (o.status) {
        case CaseOutcome::Status::pass: ++c->pass; break;
        case CaseOutcome::Status::fail: ++c->fail; break;
        case CaseOutcome::Status::unsupported: ++c->unsupported; break;
        case CaseOutcome::Status::error: ++c->error; break;
      }
    }
  }
  auto line = [](std::string_view who, const Counts& c) {
    return fmt::format("{}: {} passed, {} failed, {} errors, {} unsupported\n", who, c.pass, c.fail, c.error,
                       c.unsupported);
  };
  std::string out;
  if (per_backend.size() > 1)
    for (const auto& [name, c] : per_backend) out += line(name, c);
  out += line(fmt::format("total ({} evaluations)", outcomes.size()), all);
  out += fmt::format("oracle: {} cases in {:.2f} s; {}", oracle.cases, oracle.seconds, oracle_counts(oracle.stats));
  return out;
}

std::string format_failure(const CaseOutcome& o) {
  std::string out = fmt::format("--- {} | {} | {}\n", o.backend, o.family, status_name(o.status));
  out += "recipe: " + describe(o.recipe) + "\n";
  if (!o.message.empty()) out += o.message + (o.message.back() == '\n' ? "" : "\n");
  if (o.verdict && !o.verdict->pass) {
    for (const auto& reason : failure_reasons(*o.verdict)) out += "failed: " + reason + "\n";
    if (!o.verdict->worst.empty()) out += "worst elements:\n";
    for (const auto& m : o.verdict->worst) out += "  " + m.describe() + "\n";
  }
  if (o.diagnosis) out += "diagnosis: " + describe(*o.diagnosis) + "\n";
  out += "replay: " + replay_command(o.backend, o.recipe) + "\n";
  if (!o.artifact.empty()) out += "replay case: " + replay_command(o.backend, o.artifact) + "\n";
  return out;
}

std::string format_case_details(const CaseOutcome& o) {
  std::string out = fmt::format("backend: {}\ncase:    {}\nrecipe:  {}\n", o.backend, o.family, describe(o.recipe));
  if (!o.verdict) out += fmt::format("verdict: {}\n", verdict_cell(o));
  if (o.verdict) {
    const Verdict& v = *o.verdict;
    if (v.pass) {
      out += fmt::format("verdict: {}\n", v.summary());
    } else {
      out += "verdict: FAIL\n";
      for (const auto& reason : failure_reasons(v)) out += "failed: " + reason + "\n";
    }
    out += fmt::format("contract: {}\n", describe(contract_named(v.contract)));
    out += fmt::format("worst budget use: {:.4g} (error / budget; above 1 fails)\n", v.worst_budget_ratio);
    if (v.beyond_contract_range > 0)
      out += fmt::format("not judged: {} element(s) beyond what the contract's arithmetic can represent\n",
                         v.beyond_contract_range);
    out += metrics_block("O", v.o_metrics);
    out += fmt::format("  {:<14} {:.4e} (the contract reference's, beside the kernel's above)\n", "reference NMSE",
                       v.reference_o_nmse);
    if (v.has_lse) out += metrics_block("LSE", v.lse_metrics);
    if (o.quantization) out += quantization_block(*o.quantization);
    if (!v.worst.empty()) {
      out += "worst elements:\n";
      for (const auto& m : v.worst) out += "  " + m.describe() + "\n";
    }
  }
  if (o.oracle_stats) out += "oracle: " + oracle_counts(*o.oracle_stats);
  out += fmt::format("time: backend {:.3f} s, oracle {:.3f} s\n", o.backend_seconds, o.oracle_seconds);
  out += "replay: " + replay_command(o.backend, o.recipe) + "\n";
  return out;
}

}  // namespace flashcheck::cli
