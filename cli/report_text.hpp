#pragma once
// Human-readable reports: the check table, totals, failure details with replay
// commands, and the detailed view of a single case.
#include <string>
#include <vector>

#include "cli/case_evaluation.hpp"

namespace flashcheck::cli {

// backend | case family | max err (ulps) | max V-rel err | NMSE | budget use | verdict
std::string format_outcome_table(const std::vector<CaseOutcome>& outcomes);

// Counts per status (per backend when several) and the oracle's escalation rate.
std::string format_totals(const std::vector<CaseOutcome>& outcomes, const OracleTotals& oracle);

// Rule failures, worst mismatches (decimal and hex) and the replay command.
std::string format_failure(const CaseOutcome& outcome);

// Everything about one case: recipe, verdict, metric summaries, worst elements.
std::string format_case_details(const CaseOutcome& outcome);

}  // namespace flashcheck::cli
