// `flashcheck show FILE...`: each case file (binary record, JSON record or JSON case
// file) printed as a case record in JSON (core/case_record_json.hpp), the form
// `flashcheck pack` reads back. A file that cannot be read or is rejected is named on
// stderr with the reason; the others are still printed, and the exit status is 2.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "core/case_codec.hpp"
#include "core/case_record_json.hpp"

namespace flashcheck::cli {
namespace {

int run_show(const std::vector<std::string>& paths) {
  int status = kExitPass;
  for (const std::string& path : paths) {
    try {
      const CaseRecord record = load_any_case_file(path);
      fmt::print("{}\n", case_record_to_json(record).dump(2));
    } catch (const std::exception& e) {
      // The loaders name the path in their messages.
      fmt::print(stderr, "flashcheck: error: {}\n", e.what());
      status = kExitUsage;
    }
  }
  return status;
}

}  // namespace

Command add_show_command(CLI::App& root) {
  CLI::App* app = root.add_subcommand("show", "Print case files (binary or JSON) as JSON case records");
  auto paths = std::make_shared<std::vector<std::string>>();
  app->add_option("files", *paths, "Case files: .fcase binary records, JSON records or JSON case files")->required();
  app->footer("Exit status: 0 every file printed, 2 some file could not be read or was rejected.");
  return {app, [paths] { return run_show(*paths); }};
}

}  // namespace flashcheck::cli
