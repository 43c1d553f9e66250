// flashcheck: grades flash-attention kernels against an exact oracle.
// Only wiring lives here; each subcommand is in its own cmd_*.cpp.
#include <exception>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

namespace {

// Some messages list one problem per line; keep them, minus the trailing newline.
void print_error(const char* what) {
  std::string_view text(what);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  fmt::print(stderr, "flashcheck: error: {}\n", text);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace flashcheck::cli;
  CLI::App app{"Grades flash-attention kernels against an exact attention oracle.", "flashcheck"};
  app.set_version_flag("--version", FLASHCHECK_VERSION);
  app.require_subcommand(1);
  app.footer("Exit status: 0 all verdicts pass, 1 a case failed or errored, 2 usage error.");
  const std::vector<Command> commands{add_list_command(app), add_check_command(app), add_run_command(app),
                                      add_exhaustive_command(app), add_drift_command(app),
                                      add_show_command(app), add_pack_command(app), add_replay_command(app),
                                      add_export_command(app, argc, argv), add_verify_command(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes (105, 109...) collapse into the one usage status; help/version stay 0.
    return app.exit(e) == 0 ? kExitPass : kExitUsage;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitUsage;
  }

  try {
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
  } catch (const UsageError& e) {
    print_error(e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitFail;
  } catch (...) {
    print_error("unknown exception");
    return kExitFail;
  }
  return kExitUsage;
}
