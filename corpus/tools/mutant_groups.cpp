#include "corpus/tools/mutant_groups.hpp"

#include <algorithm>
#include <utility>

#include "impls/builtin_backends.hpp"

namespace flashcheck::corpus {
namespace {

struct ByDesign {
  const char* subject;
  const char* mutant;
};
// neg-inf-init breaks only where the compiler drops infinity handling; the default
// OpenCL build keeps IEEE semantics (the kill table expects it to pass as well).
constexpr ByDesign kCorrectByDesign[] = {{"opencl", "neg-inf-init"}};

struct KnownGap {
  const char* subject;
  const char* mutant;
  const char* why;
};
// Replay grades with the absolute rules, and a broken rule names the failure's class by
// itself (cli/check_plan.cpp). These bugs only produce their NaN from -inf or inf/NaN at
// masked keys, which the masked-key rule reports first: they are killed, as
// masked-key-leak, never as the nan-from-inf their plain diagnosis gives.
constexpr const char* kMaskedKeyFirst =
    "its NaN needs inf/NaN values or -inf bias at masked keys, so under the absolute rules the masked-key "
    "rule breaks first and the failure is classed masked-key-leak; nan-from-inf shows only without the rules";
constexpr KnownGap kKnownGaps[] = {
    {"cpu-scalar", "inf-plus-slope-mask", kMaskedKeyFirst},
    {"opencl-finite-math", "neg-inf-init", kMaskedKeyFirst},
    {"opencl-fast-relaxed-math", "neg-inf-init", kMaskedKeyFirst},
};

GroupMember make_member(const std::string& subject, const std::string& mutant) {
  GroupMember m;
  m.subject = subject;
  m.spec = backend_spec(subject, mutant);
  if (!mutant.empty()) m.no_case_reason = known_without_case(subject, mutant);
  std::unique_ptr<Backend> b = builtin_registry().make(m.spec);
  std::string why;
  if (!b) {
    m.unavailable = "not in this build";
  } else if (!b->available(&why)) {
    m.unavailable = why.empty() ? "not available on this machine" : why;
  } else {
    m.backend = std::move(b);
  }
  return m;
}

bool has_member(const std::vector<GroupMember>& members, const std::string& spec) {
  return std::any_of(members.begin(), members.end(), [&](const GroupMember& m) { return m.spec == spec; });
}

}  // namespace

std::string known_without_case(const std::string& subject, const std::string& mutant) {
  for (const KnownGap& g : kKnownGaps)
    if (subject == g.subject && mutant == g.mutant) return g.why;
  return "";
}

bool correct_by_design(const std::string& subject, const std::string& mutant) {
  return std::any_of(std::begin(kCorrectByDesign), std::end(kCorrectByDesign),
                     [&](const ByDesign& d) { return subject == d.subject && mutant == d.mutant; });
}

std::vector<const GroupMember*> MutantGroup::runnable_pairs() const {
  std::vector<const GroupMember*> out;
  for (const GroupMember& m : pairs)
    if (m.backend) out.push_back(&m);
  return out;
}

std::vector<MutantGroup> gather_mutant_groups(const std::string& only) {
  std::vector<MutantGroup> groups;
  for (const std::string& subject : builtin_registry().names()) {
    const std::unique_ptr<Backend> probe = builtin_registry().make(subject);
    if (!probe) continue;
    for (const MutantInfo& info : probe->mutants()) {
      if (!only.empty() && info.name != only) continue;
      auto g = std::find_if(groups.begin(), groups.end(), [&](const MutantGroup& x) { return x.mutant == info.name; });
      if (g == groups.end()) {
        groups.push_back({info.name, info.seed, info.bug_class, {}, {}});
        g = std::prev(groups.end());
      }
      if (correct_by_design(subject, info.name))
        g->must_pass.push_back(make_member(subject, info.name));
      else
        g->pairs.push_back(make_member(subject, info.name));
      if (!has_member(g->must_pass, subject)) g->must_pass.push_back(make_member(subject, ""));
    }
  }
  return groups;
}

}  // namespace flashcheck::corpus
