// `flashcheck pack IN -o OUT.fcase`: a JSON case record or JSON case file (or a binary
// record) written as a binary case record (docs/corpus-format.md, "Binary case files"),
// atomically. --name / --summary replace the notes' name and summary.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "core/case_codec.hpp"
#include "core/case_json.hpp"

namespace flashcheck::cli {
namespace {

struct PackOptions {
  std::string input;
  std::string output;
  std::optional<std::string> name;
  std::optional<std::string> summary;
};

int run_pack(const PackOptions& opts) {
  CaseRecord record;
  try {
    record = load_any_case_file(opts.input);
  } catch (const std::exception& e) {
    throw UsageError(e.what());  // unreadable or rejected input: the user must fix it
  }
  if (opts.name) record.notes.name = *opts.name;
  if (opts.summary) record.notes.summary = *opts.summary;
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_case_record(record);  // also checks the note lengths
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", opts.input, e.what()));
  }
  write_file_atomically(opts.output, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), true);
  fmt::print("packed {} ({}) into {} ({} bytes)\n", opts.input, record.is_recipe() ? "recipe" : "raw case", opts.output,
             bytes.size());
  return kExitPass;
}

}  // namespace

Command add_pack_command(CLI::App& root) {
  CLI::App* app = root.add_subcommand("pack", "Write a JSON case record or JSON case file as a binary case record");
  auto opts = std::make_shared<PackOptions>();
  app->add_option("input", opts->input, "JSON case record, JSON case file, or binary record")->required();
  app->add_option("-o,--output", opts->output, "Binary record to write (.fcase), replaced atomically")->required();
  app->add_option("--name", opts->name, "Set the record's name (notes.name)");
  app->add_option("--summary", opts->summary, "Set the record's one-line summary (notes.summary)");
  app->footer("Exit status: 0 written, 2 the input cannot be read or is not a valid case record.");
  return {app, [opts] { return run_pack(*opts); }};
}

}  // namespace flashcheck::cli
