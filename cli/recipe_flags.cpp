#include "cli/recipe_flags.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/backend.hpp"

namespace flashcheck::cli {
namespace {

struct LayoutName {
  Layout layout;
  std::string_view name;
};
constexpr std::array<LayoutName, 3> kLayouts{{
    {Layout::contiguous, "contiguous"},
    {Layout::seq_major, "seq_major"},
    {Layout::padded_rows, "padded_rows"},
}};

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

[[noreturn]] void bad_value(std::string_view what, const std::string& text, std::string_view expected) {
  throw std::invalid_argument(fmt::format("invalid {} '{}': expected {}", what, text, expected));
}

template <class Int>
Int parse_integer(const std::string& text, std::string_view what) {
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) bad_value(what, text, "an integer");
  return value;
}

// std::from_chars rounds correctly, so the shortest decimal fmt prints for a
// float reads back as the same float (CLI11's own conversion goes through long double).
float parse_finite_float(const std::string& text, std::string_view what) {
  float value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty() || !std::isfinite(value))
    bad_value(what, text, "a finite number");
  return value;
}

std::vector<std::string> dtype_choices() {
  std::vector<std::string> out;
  for (const auto& t : all_dtypes()) out.emplace_back(t.name);
  return out;
}
std::vector<std::string> distribution_choices() {
  std::vector<std::string> out;
  for (const auto& d : all_distributions()) out.emplace_back(d.name);
  return out;
}
std::vector<std::string> mask_choices() {
  std::vector<std::string> out;
  for (const auto& m : all_mask_patterns()) out.emplace_back(m.name);
  return out;
}

// One row per recipe field: how it prints and how it reads back. Function pointers
// (templates over the member) keep render and parse next to each other.
struct RecipeField {
  std::string_view flag;  // long name without the dashes
  std::string_view type_name;
  std::string_view help;
  bool is_switch;  // presence sets it; takes no value
  std::optional<std::string> (*render)(const CaseRecipe&);  // nullopt: flag left out
  void (*apply)(CaseRecipe&, const std::string&);           // throws std::invalid_argument
  std::vector<std::string> (*choices)();                    // nullptr: free-form value
};

template <int64_t CaseShape::*Member>
std::optional<std::string> render_dim(const CaseRecipe& r) {
  return std::to_string(r.shape.*Member);
}
template <int64_t CaseShape::*Member>
void apply_dim(CaseRecipe& r, const std::string& text) {
  const auto v = parse_integer<int64_t>(text, "dimension");
  if (v < 1) bad_value("dimension", text, "an integer >= 1");
  r.shape.*Member = v;
}

template <DType CaseRecipe::*Member>
std::optional<std::string> render_dtype(const CaseRecipe& r) {
  return dtype_name(r.*Member);
}
template <DType CaseRecipe::*Member>
void apply_dtype(CaseRecipe& r, const std::string& text) {
  const auto t = parse_dtype(text);
  if (!t) bad_value("dtype", text, "one of " + join(dtype_choices(), ", "));
  r.*Member = *t;
}

template <float CaseRecipe::*Member>
std::optional<std::string> render_float(const CaseRecipe& r) {
  return fmt::format("{}", r.*Member);
}
template <float CaseRecipe::*Member>
void apply_float(CaseRecipe& r, const std::string& text) {
  r.*Member = parse_finite_float(text, "number");
}

std::optional<std::string> render_distribution(const CaseRecipe& r) { return r.distribution; }
void apply_distribution(CaseRecipe& r, const std::string& text) {
  if (!find_distribution(text)) bad_value("distribution", text, "one of " + join(distribution_choices(), ", "));
  r.distribution = text;
}

std::optional<std::string> render_mask(const CaseRecipe& r) { return r.mask; }
void apply_mask(CaseRecipe& r, const std::string& text) {
  if (!find_mask_pattern(text)) bad_value("mask pattern", text, "one of " + join(mask_choices(), ", "));
  r.mask = text;
}

std::optional<std::string> render_window(const CaseRecipe& r) { return std::to_string(r.window); }
void apply_window(CaseRecipe& r, const std::string& text) {
  const auto v = parse_integer<int64_t>(text, "window");
  if (v < 0) bad_value("window", text, "an integer >= 0");
  r.window = v;
}

std::optional<std::string> render_scale(const CaseRecipe& r) {
  if (!r.scale) return std::nullopt;
  return fmt::format("{}", *r.scale);
}
void apply_scale(CaseRecipe& r, const std::string& text) { r.scale = parse_finite_float(text, "scale"); }

std::optional<std::string> render_sinks(const CaseRecipe& r) {
  return r.sinks ? std::optional<std::string>("") : std::nullopt;
}
void apply_sinks(CaseRecipe& r, const std::string&) { r.sinks = true; }

std::optional<std::string> render_layout(const CaseRecipe& r) { return layout_name(r.layout); }
void apply_layout(CaseRecipe& r, const std::string& text) {
  const auto l = parse_layout(text);
  if (!l) bad_value("layout", text, "one of " + join(layout_names(), ", "));
  r.layout = *l;
}

template <std::string CaseRecipe::*Member>
std::optional<std::string> render_quant(const CaseRecipe& r) {
  if ((r.*Member).empty()) return std::nullopt;
  return r.*Member;
}
template <std::string CaseRecipe::*Member>
void apply_quant(CaseRecipe& r, const std::string& text) {
  if (!is_kv_scheme(text)) bad_value("KV block scheme", text, "one of " + join(kv_scheme_names(), ", "));
  r.*Member = text;
}

std::vector<std::string> kv_layout_choices() { return {"aos", "soa"}; }
std::optional<std::string> render_kv_layout(const CaseRecipe& r) {
  if (r.kv_layout == KvRowLayout::aos) return std::nullopt;
  return std::string(kv_row_layout_name(r.kv_layout));
}
void apply_kv_layout(CaseRecipe& r, const std::string& text) {
  const auto l = parse_kv_row_layout(text);
  if (!l) bad_value("KV row layout", text, "one of " + join(kv_layout_choices(), ", "));
  r.kv_layout = *l;
}

std::optional<std::string> render_hadamard(const CaseRecipe& r) {
  return r.hadamard ? std::optional<std::string>("") : std::nullopt;
}
void apply_hadamard(CaseRecipe& r, const std::string&) { r.hadamard = true; }

std::optional<std::string> render_v_nan_scale(const CaseRecipe& r) {
  return r.v_nan_scale ? std::optional<std::string>("") : std::nullopt;
}
void apply_v_nan_scale(CaseRecipe& r, const std::string&) { r.v_nan_scale = true; }

std::optional<std::string> render_seed(const CaseRecipe& r) { return std::to_string(r.seed); }
void apply_seed(CaseRecipe& r, const std::string& text) { r.seed = parse_integer<uint64_t>(text, "seed"); }

const std::array<RecipeField, 25> kFields{{
    {"batch", "INT", "Batch size", false, render_dim<&CaseShape::batch>, apply_dim<&CaseShape::batch>, nullptr},
    {"hq", "INT", "Query heads", false, render_dim<&CaseShape::hq>, apply_dim<&CaseShape::hq>, nullptr},
    {"hkv", "INT", "Key/value heads (Hq must be a multiple)", false, render_dim<&CaseShape::hkv>,
     apply_dim<&CaseShape::hkv>, nullptr},
    {"lq", "INT", "Query length", false, render_dim<&CaseShape::lq>, apply_dim<&CaseShape::lq>, nullptr},
    {"lk", "INT", "Key length", false, render_dim<&CaseShape::lk>, apply_dim<&CaseShape::lk>, nullptr},
    {"dk", "INT", "Q/K head dimension", false, render_dim<&CaseShape::dk>, apply_dim<&CaseShape::dk>, nullptr},
    {"dv", "INT", "V/O head dimension", false, render_dim<&CaseShape::dv>, apply_dim<&CaseShape::dv>, nullptr},
    {"q-type", "DTYPE", "Q storage type", false, render_dtype<&CaseRecipe::q_type>, apply_dtype<&CaseRecipe::q_type>,
     dtype_choices},
    {"k-type", "DTYPE", "K storage type", false, render_dtype<&CaseRecipe::k_type>, apply_dtype<&CaseRecipe::k_type>,
     dtype_choices},
    {"v-type", "DTYPE", "V storage type", false, render_dtype<&CaseRecipe::v_type>, apply_dtype<&CaseRecipe::v_type>,
     dtype_choices},
    {"o-type", "DTYPE", "O storage type", false, render_dtype<&CaseRecipe::o_type>, apply_dtype<&CaseRecipe::o_type>,
     dtype_choices},
    {"dist", "NAME", "Input distribution", false, render_distribution, apply_distribution, distribution_choices},
    {"mask", "NAME", "Mask pattern", false, render_mask, apply_mask, mask_choices},
    {"window", "INT", "Sliding-window width (mask window)", false, render_window, apply_window, nullptr},
    {"scale", "FLOAT", "Score scale (default 1/sqrt(Dk))", false, render_scale, apply_scale, nullptr},
    {"max-bias", "FLOAT", "ALiBi max bias (0: no ALiBi)", false, render_float<&CaseRecipe::max_bias>,
     apply_float<&CaseRecipe::max_bias>, nullptr},
    {"softcap", "FLOAT", "Logit soft-cap (0: none)", false, render_float<&CaseRecipe::softcap>,
     apply_float<&CaseRecipe::softcap>, nullptr},
    {"sinks", "", "Add one attention-sink logit per query head", true, render_sinks, apply_sinks, nullptr},
    {"layout", "NAME", "Memory layout of Q/K/V", false, render_layout, apply_layout, layout_names},
    {"k-quant", "SCHEME", "Store K block-quantized (the oracle uses the dequantized values)", false,
     render_quant<&CaseRecipe::k_quant>, apply_quant<&CaseRecipe::k_quant>, kv_scheme_names},
    {"v-quant", "SCHEME", "Store V block-quantized", false, render_quant<&CaseRecipe::v_quant>,
     apply_quant<&CaseRecipe::v_quant>, kv_scheme_names},
    {"kv-layout", "NAME", "Row layout of quantized K/V (aos: scale then elements per block; soa)", false,
     render_kv_layout, apply_kv_layout, kv_layout_choices},
    {"hadamard", "", "Rotate K by the block-32 Walsh-Hadamard transform before quantizing (kernels rotate Q)", true,
     render_hadamard, apply_hadamard, nullptr},
    {"v-nan-scale", "", "Set one V block's E8M0 scale to 0xFF (NaN), at batch 0's last key (MX --v-quant)", true,
     render_v_nan_scale, apply_v_nan_scale, nullptr},
    {"seed", "UINT", "Generator seed", false, render_seed, apply_seed, nullptr},
}};

bool same_float(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

}  // namespace

std::string layout_name(Layout l) {
  for (const auto& e : kLayouts)
    if (e.layout == l) return std::string(e.name);
  return "?";
}

std::optional<Layout> parse_layout(std::string_view name) {
  for (const auto& e : kLayouts)
    if (e.name == name) return e.layout;
  return std::nullopt;
}

std::vector<std::string> layout_names() {
  std::vector<std::string> out;
  for (const auto& e : kLayouts) out.emplace_back(e.name);
  return out;
}

void add_recipe_options(CLI::App& app, CaseRecipe* recipe) {
  const CaseRecipe defaults;
  for (const RecipeField& field : kFields) {
    const std::string name = "--" + std::string(field.flag);
    std::string help(field.help);
    if (field.choices) help += " {" + join(field.choices(), ",") + "}";
    if (field.is_switch) {
      app.add_flag_function(
          name, [recipe, &field](int64_t count) { if (count > 0) field.apply(*recipe, ""); }, help);
      continue;
    }
    auto apply = [recipe, &field, name](const std::string& text) {
      try {
        field.apply(*recipe, text);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError(name, e.what());
      }
    };
    CLI::Option* opt = app.add_option_function<std::string>(name, apply, help);
    opt->type_name(std::string(field.type_name));
    if (const auto shown = field.render(defaults)) opt->default_str(*shown);
  }
}

std::vector<std::string> render_recipe_flags(const CaseRecipe& r) {
  std::vector<std::string> out;
  for (const RecipeField& field : kFields) {
    const auto value = field.render(r);
    if (!value) continue;
    out.push_back("--" + std::string(field.flag));
    if (!field.is_switch) out.push_back(*value);
  }
  return out;
}

CaseRecipe parse_recipe_flags(const std::vector<std::string>& args) {
  CaseRecipe recipe;
  CLI::App app("recipe flags");
  add_recipe_options(app, &recipe);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(e.what());
  }
  return recipe;
}

std::string join_command_line(const std::vector<std::string>& args) {
  auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_-+./=:,").find(c) != std::string_view::npos;
  };
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    if (!a.empty() && std::all_of(a.begin(), a.end(), plain)) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string replay_command(std::string_view backend, const CaseRecipe& r) {
  std::vector<std::string> args{"flashcheck", "run", "--backend", std::string(backend)};
  const auto flags = render_recipe_flags(r);
  args.insert(args.end(), flags.begin(), flags.end());
  std::string command = join_command_line(args);
  // A plugin subject replays only with its plugin loaded (those flags come shell-quoted).
  if (const std::string origin = subject_origin_flags(std::string(backend)); !origin.empty())
    command.insert(std::string_view("flashcheck run ").size(), origin + " ");
  return command;
}

bool same_recipe(const CaseRecipe& a, const CaseRecipe& b) {
  const auto& s = a.shape;
  const auto& t = b.shape;
  const bool same_scale = a.scale.has_value() == b.scale.has_value() && (!a.scale || same_float(*a.scale, *b.scale));
  return s.batch == t.batch && s.hq == t.hq && s.hkv == t.hkv && s.lq == t.lq && s.lk == t.lk && s.dk == t.dk &&
         s.dv == t.dv && a.q_type == b.q_type && a.k_type == b.k_type && a.v_type == b.v_type &&
         a.o_type == b.o_type && a.distribution == b.distribution && a.mask == b.mask && a.window == b.window &&
         same_scale && same_float(a.max_bias, b.max_bias) && same_float(a.softcap, b.softcap) &&
         a.sinks == b.sinks && a.layout == b.layout && a.k_quant == b.k_quant && a.v_quant == b.v_quant &&
         a.kv_layout == b.kv_layout && a.hadamard == b.hadamard && a.v_nan_scale == b.v_nan_scale &&
         a.seed == b.seed;
}

}  // namespace flashcheck::cli
