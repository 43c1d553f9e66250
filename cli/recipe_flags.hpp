#pragma once
// The single mapping between a CaseRecipe and command-line flags. `flashcheck run`
// reads a recipe through it and `flashcheck check` prints replay commands with it,
// so a failing case always replays exactly.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/generator.hpp"

namespace CLI {
class App;
}

namespace flashcheck::cli {

std::string layout_name(Layout l);
std::optional<Layout> parse_layout(std::string_view name);
std::vector<std::string> layout_names();

// Registers one option per recipe field on app; each parsed value is written into
// *recipe, which keeps its current values for flags that are not given.
void add_recipe_options(CLI::App& app, CaseRecipe* recipe);

// Every field as flags, in a fixed order ("--batch", "1", ...). --scale is
// omitted when the recipe uses the default 1/sqrt(Dk); --sinks is a switch.
std::vector<std::string> render_recipe_flags(const CaseRecipe& r);

// Parses flags produced by render_recipe_flags (or typed by a user) into a recipe,
// starting from CaseRecipe's defaults. Throws std::invalid_argument on bad input.
CaseRecipe parse_recipe_flags(const std::vector<std::string>& args);

// Joins arguments into one shell line (arguments needing quotes get single quotes).
std::string join_command_line(const std::vector<std::string>& args);

// The full command that reproduces one (backend, recipe) evaluation.
std::string replay_command(std::string_view backend, const CaseRecipe& r);

// Field-by-field equality; floats compared by bit pattern so -0 and +0 differ.
bool same_recipe(const CaseRecipe& a, const CaseRecipe& b);

}  // namespace flashcheck::cli
