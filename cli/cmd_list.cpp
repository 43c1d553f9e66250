// `flashcheck list`: registered backends with their capabilities, and the
// generator's distributions and mask patterns.
#include <array>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/backend_selection.hpp"
#include "cli/commands.hpp"
#include "core/contract.hpp"
#include "cli/exit_codes.hpp"
#include "cli/extra_backends.hpp"
#include "cli/recipe_flags.hpp"
#include "cli/report_json.hpp"
#include "core/generator.hpp"

namespace flashcheck::cli {
namespace {

using nlohmann::json;

struct Feature {
  std::string_view name;
  bool Capabilities::*flag;
};
constexpr std::array<Feature, 10> kFeatures{{
    {"causal", &Capabilities::causal},
    {"window", &Capabilities::window},
    {"explicit_mask", &Capabilities::explicit_mask},
    {"alibi", &Capabilities::alibi},
    {"softcap", &Capabilities::softcap},
    {"sinks", &Capabilities::sinks},
    {"gqa", &Capabilities::gqa},
    {"strided", &Capabilities::strided},
    {"dk_ne_dv", &Capabilities::dk_ne_dv},
    {"lse", &Capabilities::lse},
}};

std::vector<std::string> dtype_names(const std::vector<DType>& types) {
  std::vector<std::string> out;
  for (DType t : types) out.push_back(dtype_name(t));
  return out;
}

struct BackendInfo {
  std::string name;
  std::string description;
  std::string unavailable;  // empty when available
  std::optional<Capabilities> caps;
  std::vector<MutantInfo> mutants;
};

std::vector<BackendInfo> collect_backends(const Registry& registry) {
  std::vector<BackendInfo> out;
  for (const auto& name : registry.names()) {
    BackendInfo info{name, "", "", std::nullopt, {}};
    try {
      const auto b = registry.make(name);
      if (!b) throw std::runtime_error("the registry could not create it");
      info.description = b->description();
      info.unavailable = unavailability(*b);
      info.caps = b->capabilities();
      info.mutants = b->mutants();
    } catch (const std::exception& e) {
      info.unavailable = std::string("failed to create: ") + e.what();
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string capabilities_text(const Capabilities& c) {
  std::vector<std::string> has, lacks;
  for (const auto& f : kFeatures) (c.*f.flag ? has : lacks).emplace_back(f.name);
  std::string out = fmt::format("      dtypes: q {} | k/v {} | o {} | max head dim {}\n", fmt::join(dtype_names(c.q_types), ","),
                                fmt::join(dtype_names(c.kv_types), ","), fmt::join(dtype_names(c.o_types), ","),
                                c.max_head_dim);
  out += fmt::format("      supports: {}\n", has.empty() ? "-" : fmt::format("{}", fmt::join(has, " ")));
  if (!lacks.empty()) out += fmt::format("      lacks: {}\n", fmt::join(lacks, " "));
  out += fmt::format("      contract: {}{}\n", c.contract, c.contract_note.empty() ? "" : " (" + c.contract_note + ")");
  if (!c.kv_schemes.empty()) {
    std::vector<std::string> layouts;
    for (KvRowLayout l : c.kv_layouts) layouts.emplace_back(kv_row_layout_name(l));
    out += fmt::format("      quantized KV: {} | layouts {} | hadamard {}\n", fmt::join(c.kv_schemes, ","),
                       fmt::join(layouts, ","), c.hadamard ? "yes" : "no");
  }
  return out;
}

json capabilities_json(const Capabilities& c) {
  json j = {{"q_types", dtype_names(c.q_types)},
            {"kv_types", dtype_names(c.kv_types)},
            {"o_types", dtype_names(c.o_types)},
            {"max_head_dim", c.max_head_dim}};
  for (const auto& f : kFeatures) j[std::string(f.name)] = c.*f.flag;
  j["kv_schemes"] = c.kv_schemes;
  std::vector<std::string> layouts;
  for (KvRowLayout l : c.kv_layouts) layouts.emplace_back(kv_row_layout_name(l));
  j["kv_layouts"] = layouts;
  j["hadamard"] = c.hadamard;
  j["contract"] = c.contract;
  j["contract_note"] = c.contract_note;
  return j;
}

json mutants_json(const std::vector<MutantInfo>& mutants) {
  json j = json::array();
  for (const auto& m : mutants)
    j.push_back({{"name", m.name}, {"seed", m.seed}, {"bug_class", m.bug_class}, {"description", m.description}});
  return j;
}

void print_text(const std::vector<BackendInfo>& backends) {
  fmt::print("Backends ({} registered):\n", backends.size());
  for (const auto& b : backends) {
    fmt::print("  {:<16} {}\n", b.name, b.unavailable.empty() ? "available" : "UNAVAILABLE: " + b.unavailable);
    if (!b.description.empty()) fmt::print("      {}\n", b.description);
    if (b.caps) fmt::print("{}", capabilities_text(*b.caps));
    for (const auto& m : b.mutants)
      fmt::print("      mutant {}@{}  [seed {}, {}] {}\n", b.name, m.name, m.seed, m.bug_class, m.description);
  }
  fmt::print("\nContracts (a backend is graded under the one it declares; docs/tolerance.md):\n");
  for (const auto& c : all_contracts()) fmt::print("  {}\n      {}\n", describe(c), c.description);
  fmt::print("\nDistributions (--dist):\n");
  for (const auto& d : all_distributions())
    fmt::print("  {:<14} {}{}\n", d.name, d.description, d.needs_masked_keys ? " [needs a mask that hides keys]" : "");
  fmt::print("\nMask patterns (--mask):\n");
  for (const auto& m : all_mask_patterns()) fmt::print("  {:<14} {}\n", m.name, m.description);
  std::vector<std::string> dtypes;
  for (const auto& t : all_dtypes()) dtypes.emplace_back(t.name);
  fmt::print("\nStorage types (--q-type/--k-type/--v-type/--o-type): {}\n", fmt::join(dtypes, " "));
  fmt::print("Layouts (--layout): {}\n", fmt::join(layout_names(), " "));
  fmt::print("Quantized KV (--k-quant/--v-quant, --kv-layout aos|soa, --hadamard): {}\n",
             fmt::join(kv_scheme_names(), " "));
}

json to_json(const std::vector<BackendInfo>& backends) {
  json j;
  j["backends"] = json::array();
  for (const auto& b : backends) {
    j["backends"].push_back({{"name", b.name},
                             {"description", b.description},
                             {"available", b.unavailable.empty()},
                             {"unavailable_reason", b.unavailable},
                             {"capabilities", b.caps ? capabilities_json(*b.caps) : json(nullptr)},
                             {"mutants", mutants_json(b.mutants)}});
  }
  j["contracts"] = json::array();
  for (const auto& c : all_contracts())
    j["contracts"].push_back({{"name", c.name},
                              {"description", c.description},
                              {"operands", dtype_name(c.operands)},
                              {"accumulation", dtype_name(c.accumulation)},
                              {"fully_masked", to_string(c.fully_masked)},
                              {"lse_base", to_string(c.lse_base)},
                              {"masked_kv_unread", c.masked_kv_unread},
                              {"reference_factor", c.reference_factor},
                              {"output_ulps", c.output_ulps}});
  j["distributions"] = json::array();
  for (const auto& d : all_distributions())
    j["distributions"].push_back(
        {{"name", d.name}, {"description", d.description}, {"needs_masked_keys", d.needs_masked_keys}});
  j["mask_patterns"] = json::array();
  for (const auto& m : all_mask_patterns())
    j["mask_patterns"].push_back({{"name", m.name}, {"description", m.description}});
  j["dtypes"] = json::array();
  for (const auto& t : all_dtypes()) j["dtypes"].push_back(t.name);
  j["layouts"] = layout_names();
  j["kv_schemes"] = kv_scheme_names();
  return j;
}

}  // namespace

Command add_list_command(CLI::App& root) {
  auto json_path = std::make_shared<std::string>();
  auto extra = std::make_shared<ExtraBackendOptions>();
  CLI::App* app = root.add_subcommand("list", "List backends (with capabilities), input distributions and mask patterns");
  app->add_option("--json", *json_path, "Also write the listing as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  add_extra_backend_options(app, *extra);
  return {app, [json_path, extra] {
            const auto backends = collect_backends(session_registry(*extra).registry);
            if (*json_path != "-") print_text(backends);
            if (!json_path->empty()) write_json(*json_path, to_json(backends));
            return kExitPass;
          }};
}

}  // namespace flashcheck::cli
