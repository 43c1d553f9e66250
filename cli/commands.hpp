#pragma once
// Each subcommand registers its options on the root app and returns the action
// main runs when that subcommand was chosen. Actions return the exit status and
// may throw UsageError (exit 2) or other exceptions (exit 1, with the message).
#include <functional>

namespace CLI {
class App;
}

namespace flashcheck::cli {

struct Command {
  CLI::App* app = nullptr;  // the subcommand, owned by the root app
  std::function<int()> run;
};

Command add_list_command(CLI::App& root);
Command add_check_command(CLI::App& root);
Command add_run_command(CLI::App& root);
Command add_exhaustive_command(CLI::App& root);
Command add_drift_command(CLI::App& root);
Command add_show_command(CLI::App& root);
Command add_pack_command(CLI::App& root);
Command add_replay_command(CLI::App& root);
// argv is recorded in the bundle's manifest (how it was made).
Command add_export_command(CLI::App& root, int argc, char** argv);
Command add_verify_command(CLI::App& root);

}  // namespace flashcheck::cli
