#include "corpus/tools/corpus_build.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "corpus/tools/recipe_shrink.hpp"
#include "corpus/tools/start_cases.hpp"

namespace flashcheck::corpus {
namespace {

using Pairs = std::vector<const GroupMember*>;

bool kills_cleanly(const CaseGrade& g) { return g.kills_all() && g.clean(); }

// The pairs of `pairs` the recipe kills, when the must-pass side stays clean.
Pairs killed_by(const CaseRecipe& r, const MutantGroup& group, const Pairs& pairs) {
  const CaseGrade g = grade_recipe(r, group, pairs);
  if (!g.generated || !g.clean()) return {};
  Pairs out;
  for (size_t i = 0; i < pairs.size(); ++i)
    if (g.pairs[i].killed) out.push_back(pairs[i]);
  return out;
}

std::string joined_specs(const Pairs& pairs) {
  std::vector<std::string> specs;
  for (const GroupMember* m : pairs) specs.push_back(m->spec);
  return fmt::format("{}", fmt::join(specs, ", "));
}

// Why no start case kills these pairs: what each start does to them (plain grading and
// with the absolute rules), for the report.
void explain_no_kill(const MutantGroup& group, const Pairs& pairs, const std::vector<StartCase>& starts) {
  for (const StartCase& s : starts) {
    const CaseGrade g = grade_recipe(s.recipe, group, pairs);
    if (!g.generated) continue;
    for (const MemberGrade& m : g.pairs)
      if (m.status != "pass")
        std::fprintf(stderr, "    %s on %s seed %llu: %s [%s / with rules %s]\n", m.spec.c_str(), s.origin.c_str(),
                     static_cast<unsigned long long>(s.recipe.seed), m.status.c_str(),
                     m.bug_class.empty() ? "-" : m.bug_class.c_str(),
                     m.rules_bug_class.empty() ? "-" : m.rules_bug_class.c_str());
    for (const MemberGrade& m : g.must_pass)
      if (!m.clean) std::fprintf(stderr, "    correct %s fails %s: %s\n", m.spec.c_str(), s.origin.c_str(), m.detail.c_str());
  }
}

// The previous file's kills of this group's pairs that this machine cannot run.
std::vector<ExpectedKill> kills_verified_elsewhere(const MutantGroup& group, const CaseRecord& previous) {
  std::vector<ExpectedKill> out;
  for (const ExpectedKill& k : previous.notes.kills) {
    const auto m = std::find_if(group.pairs.begin(), group.pairs.end(),
                                [&](const GroupMember& p) { return p.spec == k.backend; });
    if (m != group.pairs.end() && !m->backend && k.bug_class == group.bug_class) out.push_back(k);
  }
  return out;
}

// The previous case, kept with its kills from elsewhere, when it still kills every runnable pair.
std::optional<BuiltCase> keep_previous(const MutantGroup& group, const CaseRecord& previous, const Pairs& runnable) {
  const std::vector<ExpectedKill> elsewhere = kills_verified_elsewhere(group, previous);
  const CaseRecipe* recipe = std::get_if<CaseRecipe>(&previous.body);
  if (elsewhere.empty() || !recipe) return std::nullopt;
  BuiltCase bc;
  bc.grade = grade_recipe(*recipe, group, runnable);
  if (!kills_cleanly(bc.grade)) return std::nullopt;
  bc.file = group.mutant + ".fcase";
  bc.origin = "the previous " + bc.file;
  bc.shape_before = recipe->shape;
  bc.record.body = *recipe;
  bc.record.notes.name = "mutant-" + group.mutant;
  std::vector<std::string> there;
  for (const ExpectedKill& k : elsewhere) there.push_back(k.backend);
  const std::string& old = previous.notes.summary;
  const auto from = old.find("; minimized from");
  bc.record.notes.summary = fmt::format("kills {} and (verified on a machine that runs them) {} as {}{}", joined_specs(runnable),
                                        fmt::join(there, ", "), group.bug_class,
                                        from == std::string::npos ? "" : old.substr(from));
  for (const GroupMember* m : runnable) bc.record.notes.kills.push_back({m->spec, group.bug_class});
  bc.record.notes.kills.insert(bc.record.notes.kills.end(), elsewhere.begin(), elsewhere.end());
  return bc;
}

}  // namespace

GroupBuild build_group_cases(const MutantGroup& group, const std::optional<CaseRecord>& previous) {
  const auto t0 = std::chrono::steady_clock::now();
  GroupBuild build;
  const Pairs runnable = group.runnable_pairs();
  if (previous)
    if (std::optional<BuiltCase> kept = keep_previous(group, *previous, runnable)) {
      std::fprintf(stderr, "  %s: kept the previous case (%s)\n", group.mutant.c_str(),
                   kept->record.notes.summary.c_str());
      build.cases.push_back(std::move(*kept));
      build.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return build;
    }
  const std::vector<StartCase> starts = start_cases();
  Pairs remaining = runnable;
  while (!remaining.empty()) {
    // The first (cheapest) start killing every remaining pair; else the one killing most.
    const StartCase* best = nullptr;
    Pairs best_killed;
    for (const StartCase& s : starts) {
      Pairs k = killed_by(s.recipe, group, remaining);
      if (k.size() > best_killed.size()) {
        best = &s;
        best_killed = std::move(k);
      }
      if (best_killed.size() == remaining.size()) break;
    }
    if (!best) {
      for (const GroupMember* m : remaining) build.unkilled.push_back(m->spec);
      explain_no_kill(group, remaining, starts);
      break;
    }
    std::fprintf(stderr, "  %s: start %s (%s) kills %s\n", group.mutant.c_str(), best->origin.c_str(),
                 describe(best->recipe).c_str(), joined_specs(best_killed).c_str());
    const ShrinkResult shrunk = shrink_recipe(best->recipe, [&](const CaseRecipe& candidate) {
      return kills_cleanly(grade_recipe(candidate, group, best_killed, {.stop_early = true}));
    });
    BuiltCase bc;
    bc.grade = grade_recipe(shrunk.recipe, group, best_killed);
    bc.origin = best->origin;
    bc.shape_before = best->recipe.shape;
    bc.tried = shrunk.tried;
    bc.accepted = shrunk.accepted;
    // One file for the group when it kills every pair a case can kill.
    const bool whole_group = std::all_of(runnable.begin(), runnable.end(), [&](const GroupMember* m) {
      return !m->no_case_reason.empty() ||
             std::find(best_killed.begin(), best_killed.end(), m) != best_killed.end();
    });
    bc.file = whole_group ? group.mutant + ".fcase" : group.mutant + "--" + best_killed.front()->subject + ".fcase";
    bc.record.body = shrunk.recipe;
    bc.record.notes.name = "mutant-" + group.mutant + (whole_group ? "" : "--" + best_killed.front()->subject);
    bc.record.notes.summary = fmt::format("kills {} as {}; minimized from {} seed {} ({} -> {})", joined_specs(best_killed),
                                          group.bug_class, best->origin, best->recipe.seed,
                                          shape_text(best->recipe.shape), shape_text(shrunk.recipe.shape));
    for (const GroupMember* m : best_killed) bc.record.notes.kills.push_back({m->spec, group.bug_class});
    build.cases.push_back(std::move(bc));
    std::erase_if(remaining, [&](const GroupMember* m) {
      return std::find(best_killed.begin(), best_killed.end(), m) != best_killed.end();
    });
  }
  build.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return build;
}

}  // namespace flashcheck::corpus
