// mutant_corpus: one minimized corpus case per seeded bug of builtin_registry().
//   mutant_corpus --write DIR [--only MUTANT]   build, minimize and save the cases, then MANIFEST.md
//   mutant_corpus --check DIR                   re-grade every listed kill and the coverage
// Exit 0 when the audit holds, 1 when it does not, 2 for bad usage or an unreadable dir.
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/case_codec.hpp"
#include "corpus/tools/corpus_audit.hpp"
#include "corpus/tools/corpus_build.hpp"
#include "corpus/tools/recipe_shrink.hpp"

namespace fs = std::filesystem;
using namespace flashcheck;
using namespace flashcheck::corpus;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Files this tool wrote before: a full rebuild replaces them all, so none goes stale.
void remove_old_cases(const fs::path& dir) {
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".fcase") fs::remove(e.path());
}

int write_corpus(const fs::path& dir, const std::string& only) {
  std::vector<MutantGroup> groups = gather_mutant_groups();
  fs::create_directories(dir);
  // Read before the rebuild: kills verified on another machine survive it (corpus_build.hpp).
  std::map<std::string, CaseRecord> previous;
  for (const MutantGroup& g : groups) {
    const fs::path path = dir / (g.mutant + ".fcase");
    if (!fs::exists(path)) continue;
    try {
      previous.emplace(g.mutant, load_case_record(path.string()));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mutant_corpus: %s is replaced: %s\n", path.string().c_str(), e.what());
    }
  }
  if (only.empty()) remove_old_cases(dir);
  bool any = false;
  for (const MutantGroup& g : groups) {
    if (!only.empty() && g.mutant != only) continue;
    any = true;
    std::fprintf(stderr, "%s (%s): %zu runnable of %zu pairs\n", g.mutant.c_str(), g.bug_class.c_str(),
                 g.runnable_pairs().size(), g.pairs.size());
    const auto old = previous.find(g.mutant);
    const GroupBuild b =
        build_group_cases(g, old == previous.end() ? std::nullopt : std::optional<CaseRecord>(old->second));
    for (const BuiltCase& c : b.cases) {
      save_case_record((dir / c.file).string(), c.record);
      const CaseRecipe& r = std::get<CaseRecipe>(c.record.body);
      std::printf("%-24s %-40s %s -> %s  %s/%s  (%d tried, %d kept)\n", g.mutant.c_str(), c.file.c_str(),
                  shape_text(c.shape_before).c_str(), shape_text(r.shape).c_str(), r.distribution.c_str(),
                  r.mask.c_str(), c.tried, c.accepted);
    }
    for (const std::string& s : b.unkilled)
      std::printf("%-24s no start case kills %s with class %s\n", g.mutant.c_str(), s.c_str(), g.bug_class.c_str());
    std::printf("%-24s %.1f s\n", g.mutant.c_str(), b.seconds);
    std::fflush(stdout);
  }
  if (!any) {
    std::fprintf(stderr, "mutant_corpus: no mutant named '%s' in this build\n", only.c_str());
    return 2;
  }
  const CorpusAudit audit = audit_corpus(dir.string(), groups);
  std::ofstream(dir / "MANIFEST.md") << manifest_text(audit, groups);
  std::fputs(audit_report(audit).c_str(), stdout);
  return audit.ok() ? 0 : 1;
}

int check_corpus(const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr, "mutant_corpus: %s is not a directory\n", dir.string().c_str());
    return 2;
  }
  std::vector<MutantGroup> groups = gather_mutant_groups();
  const CorpusAudit audit = audit_corpus(dir.string(), groups);
  std::fputs(audit_report(audit).c_str(), stdout);
  return audit.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Minimized corpus cases that kill each seeded bug (docs/mutants.md)"};
  std::string write_dir, check_dir, only;
  auto* write = app.add_option("--write", write_dir, "build the cases into this directory, then MANIFEST.md");
  auto* check = app.add_option("--check", check_dir, "re-grade the cases of this directory and the coverage");
  app.add_option("--only", only, "with --write: this mutant only (the other files are kept)")->needs(write);
  write->excludes(check);
  CLI11_PARSE(app, argc, argv);
  if (write_dir.empty() && check_dir.empty()) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const int rc = write_dir.empty() ? check_corpus(check_dir) : write_corpus(write_dir, only);
    std::printf("total %.1f s\n", seconds_since(t0));
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mutant_corpus: %s\n", e.what());
    return 2;
  }
}
