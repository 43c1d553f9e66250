#pragma once
// A model's seeded bugs as one table: the switch each name turns on, with its catalogue
// row. Looking a name up is the only place a mutant name becomes behaviour.
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck::models {

template <class Switch>
struct MutantRow {
  Switch id;
  MutantInfo info;
};

// The switch named `mutant` ("" is the correct kernel, `none`); throws
// std::invalid_argument naming the subject's mutants for an unknown name.
template <class Switch>
Switch find_mutant(std::span<const MutantRow<Switch>> rows, const std::string& subject, const std::string& mutant,
                   Switch none) {
  if (mutant.empty()) return none;
  std::string known;
  for (const auto& row : rows) {
    if (row.info.name == mutant) return row.id;
    known += (known.empty() ? "" : ", ") + row.info.name;
  }
  throw std::invalid_argument(subject + " has no mutant '" + mutant + "' (mutants: " + known + ")");
}

template <class Switch>
std::vector<MutantInfo> mutant_infos(std::span<const MutantRow<Switch>> rows) {
  std::vector<MutantInfo> out;
  for (const auto& row : rows) out.push_back(row.info);
  return out;
}

}  // namespace flashcheck::models
