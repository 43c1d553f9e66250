#include "corpus/tools/corpus_audit.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/case_evaluation.hpp"
#include "corpus/tools/recipe_shrink.hpp"
#include "impls/builtin_backends.hpp"

namespace flashcheck::corpus {
namespace {

namespace fs = std::filesystem;

MutantGroup* group_named(std::vector<MutantGroup>& groups, const std::string& mutant) {
  auto it = std::find_if(groups.begin(), groups.end(), [&](const MutantGroup& g) { return g.mutant == mutant; });
  return it == groups.end() ? nullptr : &*it;
}

const GroupMember* pair_named(const MutantGroup& g, const std::string& spec) {
  auto it = std::find_if(g.pairs.begin(), g.pairs.end(), [&](const GroupMember& m) { return m.spec == spec; });
  return it == g.pairs.end() ? nullptr : &*it;
}

// The recipe that stands for a case in reports: its own, or what a raw case records.
CaseRecipe recipe_for_report(const CaseRecord& r, const AttentionCase& c) {
  if (const CaseRecipe* recipe = std::get_if<CaseRecipe>(&r.body)) return *recipe;
  return cli::recipe_describing(c);
}

bool subject_in_build(const std::string& spec) {
  const std::vector<std::string> names = builtin_registry().names();
  return std::find(names.begin(), names.end(), split_backend_spec(spec).first) != names.end();
}

// Grades the kills of one group (one mutant) that a file lists.
void audit_group_kills(FileAudit& fa, const AttentionCase& c, const CaseRecipe& recipe, const MutantGroup& group,
                       std::vector<KillAudit*> kills) {
  std::vector<const GroupMember*> members;
  std::vector<KillAudit*> graded;
  for (KillAudit* k : kills) {
    const GroupMember* m = pair_named(group, k->kill.backend);
    if (!m) {
      k->problem = fmt::format("{} is not a pair of mutant {} in this build", k->kill.backend, group.mutant);
      fa.problems.push_back(k->problem);
    } else if (k->kill.bug_class != group.bug_class) {
      k->problem = fmt::format("{}: the file expects class '{}', the registry gives {}", k->kill.backend,
                               k->kill.bug_class, group.bug_class);
      fa.problems.push_back(k->problem);
    } else if (!m->backend) {
      k->runnable = false;
      k->problem = "not runnable here: " + m->unavailable;
    } else {
      members.push_back(m);
      graded.push_back(k);
    }
  }
  const CaseGrade g = grade_case(c, recipe, group, members);
  for (size_t i = 0; i < graded.size(); ++i) {
    KillAudit& k = *graded[i];
    k.grade = g.pairs[i];
    k.verified = g.pairs[i].killed;
    if (!k.verified) {
      k.problem = fmt::format("{} no longer killed as {}: {} [{} / with rules {}] {}", k.kill.backend,
                              group.bug_class, k.grade.status, k.grade.bug_class.empty() ? "-" : k.grade.bug_class,
                              k.grade.rules_bug_class.empty() ? "-" : k.grade.rules_bug_class, k.grade.detail);
      fa.problems.push_back(k.problem);
    }
  }
  for (const MemberGrade& m : g.must_pass) {
    if (!m.clean) fa.problems.push_back(fmt::format("correct {} fails the case: {}", m.spec, m.detail));
    fa.must_pass.push_back(m);
  }
}

FileAudit audit_file(const fs::path& path, std::vector<MutantGroup>& groups) {
  FileAudit fa;
  fa.file = path.filename().string();
  try {
    fa.record = load_case_record(path.string());
  } catch (const std::exception& e) {
    fa.load_error = e.what();
    fa.problems.push_back(fa.load_error);
    return fa;
  }
  if (fa.record->notes.kills.empty()) fa.problems.push_back("the file lists no kills");
  for (const ExpectedKill& k : fa.record->notes.kills) fa.kills.push_back({k, false, true, "", {}});
  const AttentionCase c = materialize(*fa.record);
  const CaseRecipe recipe = recipe_for_report(*fa.record, c);
  std::map<std::string, std::vector<KillAudit*>> by_mutant;
  for (KillAudit& k : fa.kills) by_mutant[split_backend_spec(k.kill.backend).second].push_back(&k);
  for (auto& [mutant, kills] : by_mutant) {
    if (const MutantGroup* g = group_named(groups, mutant)) {
      audit_group_kills(fa, c, recipe, *g, kills);
      continue;
    }
    for (KillAudit* k : kills) {
      if (!subject_in_build(k->kill.backend)) {
        // A build may leave a subject out (the sanitizer preset has no OpenCL): like an
        // unavailable device, its kills are listed, not checked.
        k->runnable = false;
        k->problem = "not runnable here: " + split_backend_spec(k->kill.backend).first + " is not in this build";
        continue;
      }
      k->problem = fmt::format("{} names no mutant of this build", k->kill.backend);
      fa.problems.push_back(k->problem);
    }
  }
  return fa;
}

// Shape, distribution, mask and seed, then only what differs from the generator's defaults.
std::string recipe_text(const CaseRecipe& r) {
  const CaseRecipe plain;
  std::vector<std::string> extras;
  const std::pair<const char*, std::pair<DType, DType>> types[] = {{"q", {r.q_type, plain.q_type}},
                                                                   {"k", {r.k_type, plain.k_type}},
                                                                   {"v", {r.v_type, plain.v_type}},
                                                                   {"o", {r.o_type, plain.o_type}}};
  for (const auto& [name, t] : types)
    if (t.first != t.second) extras.push_back(fmt::format("{}={}", name, dtype_name(t.first)));
  if (!r.k_quant.empty()) extras.push_back("k_quant=" + r.k_quant);
  if (!r.v_quant.empty()) extras.push_back("v_quant=" + r.v_quant);
  if (!r.k_quant.empty() || !r.v_quant.empty()) extras.push_back(std::string(kv_row_layout_name(r.kv_layout)));
  if (r.hadamard) extras.emplace_back("hadamard");
  if (r.v_nan_scale) extras.emplace_back("v_nan_scale");
  if (r.max_bias > 0) extras.push_back(fmt::format("alibi {}", r.max_bias));
  if (r.softcap > 0) extras.push_back(fmt::format("softcap {}", r.softcap));
  if (r.sinks) extras.emplace_back("sinks");
  if (r.layout != plain.layout) extras.push_back(std::string(layout_name(r.layout)));
  const std::string mask = r.mask == "window" ? fmt::format("window({})", r.window) : r.mask;
  std::string text = fmt::format("{} {} {} seed {}", shape_text(r.shape), r.distribution, mask, r.seed);
  if (!extras.empty()) text += fmt::format(" ({})", fmt::join(extras, ", "));
  return text;
}

}  // namespace

bool CorpusAudit::ok() const {
  return uncovered.empty() &&
         std::all_of(files.begin(), files.end(), [](const FileAudit& f) { return f.problems.empty(); });
}

std::string ratio_text(double r) {
  if (std::isnan(r)) return "nan";
  if (std::isinf(r)) return "inf";
  return fmt::format("{:.3g}", r);
}

CorpusAudit audit_corpus(const std::string& dir, std::vector<MutantGroup>& groups) {
  CorpusAudit audit;
  std::vector<fs::path> paths;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".fcase") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  std::set<std::string> listed;
  for (const fs::path& p : paths) {
    audit.files.push_back(audit_file(p, groups));
    for (const KillAudit& k : audit.files.back().kills)
      if (k.verified) listed.insert(k.kill.backend);
  }
  for (const MutantGroup& g : groups)
    for (const GroupMember& m : g.pairs) {
      if (!m.backend)
        audit.not_runnable_here.push_back(m.spec + ": " + m.unavailable);
      else if (listed.count(m.spec))
        continue;
      else if (!m.no_case_reason.empty())
        audit.known_without_case.push_back(m.spec + ": " + m.no_case_reason);
      else
        audit.uncovered.push_back(m.spec);
    }
  return audit;
}

std::string audit_report(const CorpusAudit& audit) {
  std::string out;
  for (const FileAudit& f : audit.files) {
    out += fmt::format("{}: {}\n", f.file, f.problems.empty() ? "ok" : "FAILED");
    for (const KillAudit& k : f.kills)
      out += fmt::format("  {} as {}: {}\n", k.kill.backend, k.kill.bug_class,
                         k.verified ? "killed (error/budget " + ratio_text(k.grade.ratio) + ")" : k.problem);
    for (const std::string& p : f.problems) out += "  problem: " + p + "\n";
  }
  for (const std::string& s : audit.uncovered) out += "no corpus case kills " + s + "\n";
  for (const std::string& s : audit.not_runnable_here) out += "not verified here: " + s + "\n";
  for (const std::string& s : audit.known_without_case) out += "no case by construction: " + s + "\n";
  out += audit.ok() ? "corpus ok\n" : "corpus FAILED\n";
  return out;
}

std::string manifest_text(const CorpusAudit& audit, const std::vector<MutantGroup>& groups) {
  std::string out =
      "# Mutant corpus cases\n\n"
      "Generated by `mutant_corpus --write corpus/fuzz_attention/mutants` (corpus/tools); do not edit.\n"
      "Each file is a recipe record (core/case_codec.hpp) minimized from the quick check plan or\n"
      "the kills column of docs/mutants.md. A listed kill holds when the pair fails with the class,\n"
      "graded as `flashcheck check` grades (verdict under the subject's contract, then diagnosis),\n"
      "both as a plain case and with the absolute rules, while the correct build of every subject\n"
      "of the mutant passes or declines the case. `ctest -L corpus` re-grades them all\n"
      "(`corpus_mutant_manifest`: `mutant_corpus --check`), and fails when a mutant this machine\n"
      "can run has no case.\n\n"
      "Shape: B,Hq,Hkv,Lq,Lk,D (Dk,Dv when they differ). error/budget: the mutant's worst element\n"
      "error over its budget (inf: a non-finite value where the oracle is finite, or the reverse);\n"
      "correct: the worst ratio of the correct subjects (below 1 passes).\n\n"
      "| file | mutant | kills | class | case | error/budget | correct |\n"
      "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const FileAudit& f : audit.files) {
    if (!f.record) {
      out += fmt::format("| `{}` | - | unreadable: {} | | | | |\n", f.file, f.load_error);
      continue;
    }
    std::vector<std::string> kills, ratios, classes;
    std::string mutant;
    for (const KillAudit& k : f.kills) {
      kills.push_back("`" + k.kill.backend + "`" + (k.verified ? "" : k.runnable ? " (FAILS)" : " (not run here)"));
      ratios.push_back(k.verified ? ratio_text(k.grade.ratio) : "-");
      if (std::find(classes.begin(), classes.end(), k.kill.bug_class) == classes.end())
        classes.push_back(k.kill.bug_class);
      mutant = split_backend_spec(k.kill.backend).second;
    }
    double worst = 0;
    for (const MemberGrade& m : f.must_pass) worst = std::max(worst, m.ratio);
    const CaseRecipe* r = std::get_if<CaseRecipe>(&f.record->body);
    const std::string c = r ? recipe_text(*r) : "raw case";
    out += fmt::format("| `{}` | `{}` | {} | {} | {} | {} | {} |\n", f.file, mutant, fmt::join(kills, ", "),
                       fmt::join(classes, ", "), c, fmt::join(ratios, ", "), ratio_text(worst));
  }
  std::vector<std::string> by_design;
  for (const MutantGroup& g : groups)
    for (const GroupMember& m : g.must_pass)
      if (m.spec.find('@') != std::string::npos) by_design.push_back("`" + m.spec + "`");
  if (!by_design.empty())
    out += fmt::format("\nCorrect by design, graded with the correct subjects (must pass): {}.\n",
                       fmt::join(by_design, ", "));
  out += "\n## Not verified here\n\n";
  if (audit.not_runnable_here.empty() && audit.uncovered.empty()) out += "Every mutant pair of the registry was verified.\n";
  for (const std::string& s : audit.not_runnable_here) {
    const std::string spec = s.substr(0, s.find(':'));
    const std::string why = s.substr(s.find(':') + 2);
    std::string listed_by;
    for (const FileAudit& f : audit.files)
      for (const KillAudit& k : f.kills)
        if (k.kill.backend == spec) listed_by = f.file;
    const std::string where = spec.rfind("cuda", 0) == 0 ? "a GPU" : "a machine that runs it";
    out += fmt::format("- `{}`: {}; {}\n", spec, why,
                       listed_by.empty() ? "no case lists it: run the tool on " + where
                                         : fmt::format("`{}` lists it (verified on {} when written): verify there with "
                                                       "`flashcheck replay`", listed_by, where));
  }
  for (const std::string& s : audit.uncovered) out += fmt::format("- `{}`: runnable here, but no case kills it\n", s);
  if (!audit.known_without_case.empty())
    out += "\n## Not killed with their class\n\nRunnable here, but no case kills them with their own class under replay's grading\n"
           "(the absolute rules on); the write run tried every start case on them:\n\n";
  for (const std::string& s : audit.known_without_case)
    out += fmt::format("- `{}`: {}\n", s.substr(0, s.find(':')), s.substr(s.find(':') + 2));
  return out;
}

}  // namespace flashcheck::corpus
