#pragma once
// Where minimization starts: the quick check plan's entries (the cases `flashcheck check
// --quick` and the kill table run), then the "kills" column of docs/mutants.md (the
// subjects' own kill cases), each list cheapest first.
#include <string>
#include <vector>

#include "core/generator.hpp"

namespace flashcheck::corpus {

struct StartCase {
  std::string origin;  // "quick plan <family>" or "docs/mutants.md kills column (<mutant>)"
  CaseRecipe recipe;
};

std::vector<StartCase> start_cases();

}  // namespace flashcheck::corpus
