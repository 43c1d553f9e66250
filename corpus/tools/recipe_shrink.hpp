#pragma once
// Greedy minimization in recipe space: the seed stays fixed, and every step makes the
// recipe smaller or simpler (fewer options, plainer mask, types and distribution, then
// each dimension halved and stepped down). A step is kept only when the caller's test
// still holds, so the result keeps what the test needs and drops the rest.
#include <cstdint>
#include <functional>
#include <string>

#include "core/generator.hpp"

namespace flashcheck::corpus {

struct ShrinkResult {
  CaseRecipe recipe;
  int tried = 0;     // candidates graded
  int accepted = 0;  // steps kept
};

// holds(candidate) must be true of `start`. Candidates the generator rejects are skipped.
ShrinkResult shrink_recipe(const CaseRecipe& start, const std::function<bool(const CaseRecipe&)>& holds);

// The work a recipe's case costs the oracle: B * Hq * Lq * Lk * (Dk + Dv).
int64_t recipe_cost(const CaseRecipe& r);

// "B,Hq,Hkv,Lq,Lk,D" (or "...,Dk,Dv" when they differ), as docs/mutants.md writes shapes.
std::string shape_text(const CaseShape& s);

}  // namespace flashcheck::corpus
