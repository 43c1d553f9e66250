#include "core/case_record_json.hpp"

#include <fmt/format.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "core/case_json.hpp"
#include "core/json_fields.hpp"

namespace flashcheck {
namespace {

using nlohmann::json;

constexpr std::string_view kDocument = "case record JSON";

[[noreturn]] void reject(std::string_view field, std::string_view problem) {
  reject_json_field(kDocument, field, problem);
}

std::string float_text(float f) { return f32_json_text(f); }
float float_from(const json& v, std::string_view field) { return f32_from_json(v, kDocument, field); }

// This document's readers: JsonFields with the record's name in every message.
class Fields : public JsonFields {
 public:
  Fields(const json& j, std::string path) : JsonFields(j, std::move(path), kDocument) {}
};

constexpr std::array<std::pair<const char*, int64_t CaseShape::*>, 7> kShapeFields{{{"batch", &CaseShape::batch},
                                                                                    {"hq", &CaseShape::hq},
                                                                                    {"hkv", &CaseShape::hkv},
                                                                                    {"lq", &CaseShape::lq},
                                                                                    {"lk", &CaseShape::lk},
                                                                                    {"dk", &CaseShape::dk},
                                                                                    {"dv", &CaseShape::dv}}};

json notes_to_json(const CaseNotes& n) {
  json kills = json::array();
  for (const ExpectedKill& k : n.kills) kills.push_back({{"backend", k.backend}, {"bug_class", k.bug_class}});
  return {{"name", n.name}, {"summary", n.summary}, {"kills", std::move(kills)}};
}

CaseNotes notes_from_json(const json& j) {
  Fields f(j, "notes");
  CaseNotes n;
  n.name = f.string("name");
  n.summary = f.string("summary");
  const json& kills = f.take("kills");
  if (!kills.is_array()) reject("notes.kills", "must be an array");
  for (size_t i = 0; i < kills.size(); ++i) {
    Fields k(kills[i], fmt::format("notes.kills[{}]", i));
    n.kills.push_back({k.string("backend"), k.string("bug_class")});
    k.finish();
  }
  f.finish();
  return n;
}

auto dtype_parser() {
  return [](const std::string& s) { return parse_dtype(s); };
}

}  // namespace

json recipe_to_json(const CaseRecipe& r) {
  json shape = json::object();
  for (const auto& [name, member] : kShapeFields) shape[name] = r.shape.*member;
  return {{"shape", std::move(shape)},
          {"q_type", dtype_name(r.q_type)},
          {"k_type", dtype_name(r.k_type)},
          {"v_type", dtype_name(r.v_type)},
          {"o_type", dtype_name(r.o_type)},
          {"distribution", r.distribution},
          {"mask", r.mask},
          {"window", r.window},
          {"scale", r.scale ? json(float_text(*r.scale)) : json(nullptr)},
          {"max_bias", float_text(r.max_bias)},
          {"softcap", float_text(r.softcap)},
          {"sinks", r.sinks},
          {"layout", std::string(layout_name(r.layout))},
          {"k_quant", r.k_quant},
          {"v_quant", r.v_quant},
          {"kv_layout", std::string(kv_row_layout_name(r.kv_layout))},
          {"hadamard", r.hadamard},
          {"v_nan_scale", r.v_nan_scale},
          {"seed", r.seed}};
}

CaseRecipe recipe_from_json(const json& j) {
  Fields f(j, "recipe");
  CaseRecipe r;
  Fields shape(f.take("shape"), "recipe.shape");
  for (const auto& [name, member] : kShapeFields) r.shape.*member = shape.integer(name);
  shape.finish();
  r.q_type = f.named<DType>("q_type", dtype_parser(), "dtype");
  r.k_type = f.named<DType>("k_type", dtype_parser(), "dtype");
  r.v_type = f.named<DType>("v_type", dtype_parser(), "dtype");
  r.o_type = f.named<DType>("o_type", dtype_parser(), "dtype");
  r.distribution = f.string("distribution");
  r.mask = f.string("mask");
  r.window = f.integer("window");
  if (const json& scale = f.take("scale"); !scale.is_null()) r.scale = float_from(scale, "recipe.scale");
  r.max_bias = f.f32("max_bias");
  r.softcap = f.f32("softcap");
  r.sinks = f.boolean("sinks");
  r.layout = f.named<Layout>("layout", parse_layout, "layout");
  r.k_quant = f.string("k_quant");
  r.v_quant = f.string("v_quant");
  r.kv_layout = f.named<KvRowLayout>("kv_layout", parse_kv_row_layout, "KV row layout");
  r.hadamard = f.boolean("hadamard");
  r.v_nan_scale = f.boolean("v_nan_scale");
  r.seed = f.unsigned_integer("seed");
  f.finish();
  return r;
}

json case_record_to_json(const CaseRecord& r) {
  json j = {{"format", kCaseRecordJsonFormat}, {"version", kCaseRecordJsonVersion}, {"notes", notes_to_json(r.notes)}};
  if (const auto* recipe = std::get_if<CaseRecipe>(&r.body))
    j["recipe"] = recipe_to_json(*recipe);
  else
    j["case"] = case_to_json(std::get<AttentionCase>(r.body));
  return j;
}

CaseRecord case_record_from_json(const json& j) {
  if (j.is_object() && j.value("format", json()) == json(kCaseJsonFormat)) return CaseRecord{case_from_json(j), {}};
  Fields f(j, "");
  if (f.string("format") != kCaseRecordJsonFormat)
    reject("format",
           fmt::format("expected \"{}\" (or \"{}\" for a plain case file)", kCaseRecordJsonFormat, kCaseJsonFormat));
  const json& version = f.take("version");
  if (version != json(kCaseRecordJsonVersion))
    reject("version", fmt::format("{} is not a version this build reads (1)", version.dump()));
  CaseRecord r;
  r.notes = notes_from_json(f.take("notes"));
  const bool has_recipe = j.contains("recipe"), has_case = j.contains("case");
  if (has_recipe == has_case) reject("recipe", "a record holds exactly one of \"recipe\" and \"case\"");
  if (has_recipe) {
    CaseRecipe recipe = recipe_from_json(f.take("recipe"));
    if (std::string problem = recipe_problem(recipe); !problem.empty()) {
      while (!problem.empty() && problem.back() == '\n') problem.pop_back();
      reject("recipe", problem);
    }
    r.body = std::move(recipe);
  } else {
    r.body = case_from_json(f.take("case"));
  }
  f.finish();
  return r;
}

CaseRecord case_record_from_json_text(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw std::invalid_argument(fmt::format("not JSON: {}", e.what()));
  }
  return case_record_from_json(j);
}

}  // namespace flashcheck
