// `flashcheck export`: cases written as a bundle for a device the harness cannot run on
// (docs/bundle-protocol.md). Case files and directories of them, a generated matrix,
// and/or one recipe from flags; each case goes out as .npy inputs plus its exact record.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/bundle_export.hpp"
#include "cli/bundle_layout.hpp"
#include "cli/check_matrix.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/recipe_flags.hpp"
#include "cli/replay_inputs.hpp"
#include "core/case_file_naming.hpp"
#include "core/case_json.hpp"

namespace flashcheck::cli {
namespace {

struct ExportOptions {
  std::vector<std::string> paths;
  std::string out;
  std::string matrix;  // "", "quick", "default"
  uint64_t seed = kDefaultMatrixSeed;
  bool force = false;
  CaseRecipe recipe;
  CLI::App* recipe_group = nullptr;
  std::vector<std::string> argv;
};

bool recipe_given(const ExportOptions& o) {
  for (const CLI::Option* opt : o.recipe_group->get_options())
    if (opt->count() > 0) return true;
  return false;
}

// The bundle directory, empty: a new one, or an old bundle under --force (its manifest,
// cases and results go, since results of other cases must never be graded against these).
void prepare_out_dir(const ExportOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec)) throw UsageError(fmt::format("{} is not a directory", o.out));
  if (fs::exists(bundle_path(o.out, kManifestFile), ec)) {
    if (!o.force) throw UsageError(fmt::format("{} already holds a bundle (--force replaces it)", o.out));
    for (std::string_view part : {kManifestFile, kCasesDir, kResultsDir}) fs::remove_all(bundle_path(o.out, part), ec);
  } else if (fs::exists(bundle_path(o.out, kCasesDir), ec)) {
    throw UsageError(fmt::format("{} has a {}/ folder but no manifest: not overwritten", o.out, kCasesDir));
  }
  fs::create_directories(o.out, ec);
  if (ec) throw UsageError(fmt::format("cannot create {}: {}", o.out, ec.message()));
}

struct Source {
  std::string origin;
  std::optional<CaseRecord> record;  // raw case and notes, when it could be built
  std::string error;
};

std::vector<Source> gather(const ExportOptions& o) {
  std::vector<Source> sources;
  if (!o.paths.empty()) {
    const ReplayInputs inputs = collect_case_files(o.paths);
    for (const SkippedFile& f : inputs.skipped) fmt::print("skipped {}: {}\n", f.path, f.reason);
    for (const std::string& file : inputs.case_files) {
      LoadedCase loaded = load_case_for_replay(file);
      Source s{file, std::nullopt, loaded.error};
      if (loaded.c) s.record = CaseRecord{std::move(*loaded.c), loaded.record->notes};
      if (s.record && s.record->notes.name.empty())
        s.record->notes.name = std::filesystem::path(file).stem().string();
      sources.push_back(std::move(s));
    }
  }
  auto add_recipe = [&](const std::string& name, const CaseRecipe& r, const std::string& origin) {
    Source s{origin, std::nullopt, ""};
    try {
      AttentionCase c = generate(r);
      s.record = CaseRecord{std::move(c), CaseNotes{name, origin, {}}};
    } catch (const std::exception& e) {
      s.error = e.what();
    }
    sources.push_back(std::move(s));
  };
  if (!o.matrix.empty()) {
    const std::vector<MatrixEntry> m = o.matrix == "quick" ? quick_matrix(o.seed) : default_matrix(o.seed);
    for (size_t n = 0; n < m.size(); ++n)
      add_recipe(m[n].family, m[n].recipe, fmt::format("{} matrix entry {} (seed {})", o.matrix, n, o.seed));
  }
  if (recipe_given(o)) add_recipe(family_label(o.recipe), o.recipe, join_command_line(render_recipe_flags(o.recipe)));
  return sources;
}

int run_export(const ExportOptions& o) {
  if (o.paths.empty() && o.matrix.empty() && !recipe_given(o))
    throw UsageError("nothing to export: name case files or directories, --matrix quick|default, or recipe flags");
  std::vector<Source> sources = gather(o);
  prepare_out_dir(o);
  std::vector<nlohmann::json> entries;
  int bad = 0;
  for (Source& s : sources) {
    if (!s.record) {
      fmt::print("ERROR  {}: {}\n", s.origin, s.error);
      ++bad;
      continue;
    }
    BundleCase bc{bundle_case_id(entries.size(), s.record->notes.name), s.origin, std::move(*s.record)};
    const AttentionCase& c = std::get<AttentionCase>(bc.record.body);
    entries.push_back(export_bundle_case(o.out, bc, c));
    fmt::print("exported {}  {}  ({})\n", bc.id, describe_shape(c.shape), s.origin);
  }
  const nlohmann::json manifest = bundle_manifest(entries, FLASHCHECK_VERSION, join_command_line(o.argv));
  write_file_atomically(bundle_path(o.out, kManifestFile), manifest.dump(2) + "\n", true);
  fmt::print("bundle: {} case(s) in {}{}\n", entries.size(), o.out,
             bad ? fmt::format(", {} case(s) could not be exported", bad) : "");
  fmt::print("next: run a runner on the device (docs/bundle-protocol.md), e.g.\n"
             "  python3 impls/external/numpy_runner.py {}\nthen: flashcheck verify {}\n",
             shell_quote(o.out), shell_quote(o.out));
  return bad || entries.empty() ? kExitFail : kExitPass;
}

}  // namespace

Command add_export_command(CLI::App& root, int argc, char** argv) {
  auto opts = std::make_shared<ExportOptions>();
  opts->argv.assign(argv, argv + argc);
  opts->argv.front() = "flashcheck";
  CLI::App* app = root.add_subcommand(
      "export", "Write cases as a bundle (.npy inputs, manifest.json) for a runner on another device");
  app->add_option("cases", opts->paths, "Case files (.fcase, .json) and directories, walked recursively")
      ->type_name("PATH");
  app->add_option("--out", opts->out, "Bundle directory to write")->required()->type_name("DIR");
  app->add_option("--matrix", opts->matrix, "Also export check's case matrix")
      ->check(CLI::IsMember({"quick", "default"}));
  app->add_option("--matrix-seed", opts->seed, "Base seed of --matrix (as check's --seed)")->capture_default_str();
  app->add_flag("--force", opts->force, "Replace the bundle already in --out (its cases and results)");
  opts->recipe_group = app->add_option_group("recipe", "One generated case (flashcheck run's recipe flags)");
  add_recipe_options(*opts->recipe_group, &opts->recipe);
  app->footer("Exit status: 0 every case exported; 1 a case could not be built or written; 2 usage error.");
  return {app, [opts] { return run_export(*opts); }};
}

}  // namespace flashcheck::cli
