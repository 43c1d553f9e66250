#include "corpus/tools/kill_grading.hpp"

#include <algorithm>
#include <exception>
#include <memory>

#include "cli/check_matrix.hpp"
#include "cli/check_plan.hpp"

namespace flashcheck::corpus {
namespace {

using cli::CaseOutcome;

// Every failure diagnosed, no case files: a corpus case is graded, not collected.
cli::PlanOptions plan_options() {
  cli::PlanOptions o;
  o.diagnose_limit = 1000000;
  o.artifacts_dir.clear();
  return o;
}

std::string class_of(const CaseOutcome& o) { return o.diagnosis ? o.diagnosis->bug_class : ""; }

bool rule_broken(const CaseOutcome& o) {
  return std::any_of(o.rules.begin(), o.rules.end(), [](const RuleResult& r) { return !r.holds; });
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// The case and its oracle, prepared once and shared by every backend graded on it (the
// oracle keeps a reference to the case, so the PreparedCase never moves).
std::unique_ptr<cli::PreparedCase> prepare(const AttentionCase& c) {
  auto p = std::make_unique<cli::PreparedCase>();
  p->c = c;
  p->oracle = std::make_unique<cli::LazyOracle>(*p->c, cli::oracle_options_for(*p->c, 0));
  return p;
}

CaseOutcome check(Backend& b, const cli::MatrixEntry& entry, cli::PreparedCase& prepared) {
  cli::BackendPlanState state{1000000};
  return cli::check_entry(b, entry, prepared, state, plan_options());
}

MemberGrade grade_member(const GroupMember& m, const std::string& expected, const cli::MatrixEntry& plain,
                         const cli::MatrixEntry& with_rules, cli::PreparedCase& shared) {
  MemberGrade g;
  g.spec = m.spec;
  const CaseOutcome ruled = check(*m.backend, with_rules, shared);
  // Unbroken rules leave the outcome what the plain grading gives: no second run needed.
  const CaseOutcome plain_outcome = rule_broken(ruled) ? check(*m.backend, plain, shared) : ruled;
  g.status = cli::status_name(plain_outcome.status);
  g.bug_class = class_of(plain_outcome);
  g.rules_bug_class = class_of(ruled);
  g.ratio = plain_outcome.verdict ? plain_outcome.verdict->worst_budget_ratio : 0;
  if (plain_outcome.verdict && !plain_outcome.verdict->pass)
    g.detail = plain_outcome.verdict->summary();
  else if (ruled.is_failure())
    g.detail = first_line(ruled.message);
  else
    g.detail = first_line(plain_outcome.message);
  const auto ok_clean = [](const CaseOutcome& o) {
    return o.status == CaseOutcome::Status::pass || o.status == CaseOutcome::Status::unsupported;
  };
  g.clean = ok_clean(ruled) && ok_clean(plain_outcome);
  g.killed = !expected.empty() && plain_outcome.status == CaseOutcome::Status::fail &&
             ruled.status == CaseOutcome::Status::fail && g.bug_class == expected && g.rules_bug_class == expected;
  return g;
}

}  // namespace

bool CaseGrade::kills_all() const {
  return generated && !pairs.empty() &&
         std::all_of(pairs.begin(), pairs.end(), [](const MemberGrade& g) { return g.killed; });
}

bool CaseGrade::clean() const {
  return generated && std::all_of(must_pass.begin(), must_pass.end(), [](const MemberGrade& g) { return g.clean; });
}

double CaseGrade::worst_clean_ratio() const {
  double worst = 0;
  for (const MemberGrade& g : must_pass) worst = std::max(worst, g.ratio);
  return worst;
}

CaseGrade grade_case(const AttentionCase& c, const CaseRecipe& recipe, const MutantGroup& group,
                     const std::vector<const GroupMember*>& pairs, const GradeOptions& options) {
  CaseGrade grade;
  const std::unique_ptr<cli::PreparedCase> shared = prepare(c);
  const cli::MatrixEntry plain{cli::family_label(recipe), recipe, false};
  const cli::MatrixEntry with_rules{plain.family, recipe, true};
  for (const GroupMember* m : pairs) {
    grade.pairs.push_back(grade_member(*m, group.bug_class, plain, with_rules, *shared));
    if (options.stop_early && !grade.pairs.back().killed) return grade;
  }
  for (const GroupMember& m : group.must_pass) {
    if (!m.backend) continue;
    grade.must_pass.push_back(grade_member(m, "", plain, with_rules, *shared));
    if (options.stop_early && !grade.must_pass.back().clean) return grade;
  }
  return grade;
}

CaseGrade grade_recipe(const CaseRecipe& recipe, const MutantGroup& group,
                       const std::vector<const GroupMember*>& pairs, const GradeOptions& options) {
  std::optional<AttentionCase> c;
  try {
    c = generate(recipe);
  } catch (const std::exception& e) {
    CaseGrade bad;
    bad.generated = false;
    bad.error = e.what();
    return bad;
  }
  return grade_case(*c, recipe, group, pairs, options);
}

}  // namespace flashcheck::corpus
