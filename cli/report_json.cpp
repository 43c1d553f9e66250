#include "cli/report_json.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "cli/artifacts.hpp"
#include "cli/exit_codes.hpp"
#include "cli/recipe_flags.hpp"

namespace flashcheck::cli {
namespace {

using nlohmann::json;

std::string hex(double x) { return fmt::format("{:a}", x); }

json summary_to_json(const Summary& s) {
  return {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}, {"max_hex", hex(s.max)}, {"count", s.count}};
}

json metrics_to_json(const ErrorMetrics& m) {
  return {{"abs_error", summary_to_json(m.abs_error)},
          {"v_rel_error", summary_to_json(m.v_rel_error)},
          {"ulp_error", summary_to_json(m.ulp_error)},
          {"nmse", m.nmse},
          {"nonfinite_where_finite", m.nonfinite_where_finite},
          {"elements", m.elements}};
}

json mismatch_to_json(const Mismatch& m) {
  return {{"what", m.what},         {"b", m.b},
          {"h", m.h},               {"i", m.i},
          {"col", m.col},           {"got", m.got},
          {"got_hex", hex(m.got)},  {"expected", m.expected},
          {"expected_hex", hex(m.expected)}, {"exact", m.exact},
          {"exact_hex", hex(m.exact)},       {"budget", m.budget},
          {"description", m.describe()}};
}

}  // namespace

json recipe_to_json(const CaseRecipe& r) {
  const auto& s = r.shape;
  json j = {{"batch", s.batch},
            {"hq", s.hq},
            {"hkv", s.hkv},
            {"lq", s.lq},
            {"lk", s.lk},
            {"dk", s.dk},
            {"dv", s.dv},
            {"q_type", dtype_name(r.q_type)},
            {"k_type", dtype_name(r.k_type)},
            {"v_type", dtype_name(r.v_type)},
            {"o_type", dtype_name(r.o_type)},
            {"distribution", r.distribution},
            {"mask", r.mask},
            {"window", r.window},
            {"scale", r.scale ? json(*r.scale) : json(nullptr)},
            {"max_bias", r.max_bias},
            {"softcap", r.softcap},
            {"sinks", r.sinks},
            {"layout", layout_name(r.layout)},
            {"seed", r.seed},
            {"flags", join_command_line(render_recipe_flags(r))}};
  return j;
}

json verdict_to_json(const Verdict& v) {
  json worst = json::array();
  for (const auto& m : v.worst) worst.push_back(mismatch_to_json(m));
  json j = {{"pass", v.pass},
            {"summary", v.summary()},
            {"rule_failures", v.rule_failures},
            {"contract", v.contract},
            {"worst_budget_ratio", v.worst_budget_ratio},
            {"beyond_contract_range", v.beyond_contract_range},
            {"reference_o_nmse", v.reference_o_nmse},
            {"o_metrics", metrics_to_json(v.o_metrics)},
            {"worst", worst}};
  j["lse_metrics"] = v.has_lse ? metrics_to_json(v.lse_metrics) : json(nullptr);
  return j;
}

json oracle_stats_to_json(const OracleStats& s) {
  return {{"rows", s.rows},
          {"elements", s.elements},
          {"escalated_elements", s.escalated_elements},
          {"exact_path_elements", s.exact_path_elements},
          {"unresolved_elements", s.unresolved_elements},
          {"escalation_rate", s.escalation_rate()}};
}

json outcome_to_json(const CaseOutcome& o) {
  json j = {{"backend", o.backend},
            {"family", o.family},
            {"status", status_name(o.status)},
            {"message", o.message},
            {"fault", o.fault.empty() ? json(nullptr) : json(o.fault)},
            {"recipe", recipe_to_json(o.recipe)},
            {"backend_seconds", o.backend_seconds},
            {"oracle_seconds", o.oracle_seconds},
            {"replay", replay_command(o.backend, o.recipe)}};
  j["verdict"] = o.verdict ? verdict_to_json(*o.verdict) : json(nullptr);
  j["oracle"] = o.oracle_stats ? oracle_stats_to_json(*o.oracle_stats) : json(nullptr);
  j["diagnosis"] = o.diagnosis ? json{{"bug_class", o.diagnosis->bug_class}, {"evidence", o.diagnosis->evidence}}
                               : json(nullptr);
  j["rules"] = json::array();
  for (const RuleResult& r : o.rules)
    j["rules"].push_back(
        {{"rule", r.rule}, {"holds", r.holds}, {"applicable", r.applicable}, {"detail", r.detail}, {"runs", r.runs}});
  j["artifact"] = o.artifact.empty() ? json(nullptr) : json(o.artifact);
  if (!o.artifact.empty()) j["replay_case"] = replay_command(o.backend, o.artifact);
  if (o.quantization)
    j["quantization_split"] = {{"implementation", metrics_to_json(o.quantization->implementation)},
                               {"quantization", metrics_to_json(o.quantization->quantization)},
                               {"total", metrics_to_json(o.quantization->total)}};
  return j;
}

void ensure_writable(const std::string& path) {
  if (path.empty() || path == "-") return;
  std::ofstream probe(path, std::ios::app);
  if (!probe) throw UsageError(fmt::format("cannot open '{}' for writing", path));
}

void write_json(const std::string& path, const json& doc) {
  // Invalid UTF-8 in a message must not abort the report.
  const std::string text = doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  std::ofstream file(path);
  if (!file) throw std::runtime_error(fmt::format("cannot open '{}' for writing", path));
  file << text;
  file.close();
  if (!file) throw std::runtime_error(fmt::format("failed writing '{}'", path));
}

}  // namespace flashcheck::cli
