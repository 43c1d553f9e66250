#include "corpus/tools/recipe_shrink.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace flashcheck::corpus {
namespace {

using Candidates = std::vector<CaseRecipe>;
using Shrinker = Candidates (*)(const CaseRecipe&);

// Smaller values of n, boldest first: n - n/2, n - n/4, ..., n - 1 (halving, then single
// steps, which is what finds a tile edge the case must keep), never below lo and, when
// step > 1, only multiples of step (quantized rows hold whole 32-element blocks).
std::vector<int64_t> smaller(int64_t n, int64_t lo, int64_t step = 1) {
  std::vector<int64_t> out;
  for (int64_t cut = n / 2; cut >= 1; cut /= 2) {
    const int64_t v = (n - cut) / step * step;
    if (v >= lo && v < n && (out.empty() || out.back() != v)) out.push_back(v);
  }
  if (n - step >= lo && (out.empty() || out.back() != n - step)) out.push_back(n - step);
  return out;
}

// The recipe with one field set to its plain value, when it is not already that.
template <class T>
void plain_value(Candidates& out, const CaseRecipe& r, T CaseRecipe::*field, T plain) {
  if (r.*field == plain) return;
  CaseRecipe c = r;
  c.*field = plain;
  out.push_back(std::move(c));
}

// Options the case may not need.
Candidates fewer_options(const CaseRecipe& r) {
  Candidates out;
  plain_value(out, r, &CaseRecipe::softcap, 0.0f);
  plain_value(out, r, &CaseRecipe::max_bias, 0.0f);
  plain_value(out, r, &CaseRecipe::sinks, false);
  plain_value(out, r, &CaseRecipe::layout, Layout::contiguous);
  plain_value(out, r, &CaseRecipe::hadamard, false);
  plain_value(out, r, &CaseRecipe::v_nan_scale, false);
  plain_value(out, r, &CaseRecipe::k_quant, std::string());
  plain_value(out, r, &CaseRecipe::v_quant, std::string());
  if (!r.k_quant.empty() || !r.v_quant.empty()) plain_value(out, r, &CaseRecipe::kv_layout, KvRowLayout::aos);
  return out;
}

// The default storage types (f32 Q and O, f16 K and V).
Candidates plainer_types(const CaseRecipe& r) {
  const CaseRecipe plain;
  Candidates out;
  plain_value(out, r, &CaseRecipe::q_type, plain.q_type);
  plain_value(out, r, &CaseRecipe::o_type, plain.o_type);
  plain_value(out, r, &CaseRecipe::k_type, plain.k_type);
  plain_value(out, r, &CaseRecipe::v_type, plain.v_type);
  return out;
}

// No mask, then the causal mask alone, then a narrower window.
Candidates plainer_mask(const CaseRecipe& r) {
  Candidates out;
  if (r.mask != "none")
    for (const char* m : {"none", "causal"}) {
      if (r.mask == m) continue;
      CaseRecipe c = r;
      c.mask = m;
      c.window = 0;
      out.push_back(std::move(c));
    }
  if (r.mask == "window")
    for (int64_t w : smaller(r.window, 1)) {
      CaseRecipe c = r;
      c.window = w;
      out.push_back(std::move(c));
    }
  return out;
}

Candidates plainer_distribution(const CaseRecipe& r) {
  Candidates out;
  for (const char* d : {"normal", "uniform"}) {
    if (r.distribution == d || r.distribution == "normal") continue;
    CaseRecipe c = r;
    c.distribution = d;
    out.push_back(std::move(c));
  }
  return out;
}

template <int64_t CaseShape::*Field>
Candidates smaller_dim(const CaseRecipe& r) {
  Candidates out;
  for (int64_t v : smaller(r.shape.*Field, 1)) {
    CaseRecipe c = r;
    c.shape.*Field = v;
    out.push_back(std::move(c));
  }
  return out;
}

// Fewer query heads, fewer KV heads, or both, keeping Hq a multiple of Hkv.
Candidates fewer_heads(const CaseRecipe& r) {
  Candidates out;
  const CaseShape& s = r.shape;
  for (int64_t k = s.hkv; k >= 2; --k) {  // both divided by a common factor: keeps the GQA ratio
    if (s.hkv % k != 0) continue;
    CaseRecipe c = r;
    c.shape.hq = s.hq / k;
    c.shape.hkv = s.hkv / k;
    out.push_back(std::move(c));
  }
  for (int64_t hq : smaller(s.hq, s.hkv))
    if (hq % s.hkv == 0) {
      CaseRecipe c = r;
      c.shape.hq = hq;
      out.push_back(std::move(c));
    }
  for (int64_t hkv : smaller(s.hkv, 1))
    if (s.hq % hkv == 0) {
      CaseRecipe c = r;
      c.shape.hkv = hkv;
      out.push_back(std::move(c));
    }
  return out;
}

// Head dimensions, both together first (not every subject takes Dk != Dv); whole
// 32-element blocks where K or V is block-quantized.
Candidates smaller_head_dims(const CaseRecipe& r) {
  Candidates out;
  const int64_t k_step = r.k_quant.empty() ? 1 : 32;
  const int64_t v_step = r.v_quant.empty() ? 1 : 32;
  if (r.shape.dk == r.shape.dv)
    for (int64_t d : smaller(r.shape.dk, 1, std::max(k_step, v_step))) {
      CaseRecipe c = r;
      c.shape.dk = c.shape.dv = d;
      out.push_back(std::move(c));
    }
  for (int64_t d : smaller(r.shape.dk, 1, k_step)) {
    CaseRecipe c = r;
    c.shape.dk = d;
    out.push_back(std::move(c));
  }
  for (int64_t d : smaller(r.shape.dv, 1, v_step)) {
    CaseRecipe c = r;
    c.shape.dv = d;
    out.push_back(std::move(c));
  }
  return out;
}

// Simplifications first (they may free the sizes), then the sizes, the largest costs first.
constexpr Shrinker kShrinkers[] = {
    fewer_options,
    plainer_mask,
    plainer_distribution,
    plainer_types,
    smaller_dim<&CaseShape::batch>,
    fewer_heads,
    smaller_dim<&CaseShape::lk>,
    smaller_dim<&CaseShape::lq>,
    smaller_head_dims,
};

}  // namespace

int64_t recipe_cost(const CaseRecipe& r) {
  const CaseShape& s = r.shape;
  return s.batch * s.hq * s.lq * s.lk * (s.dk + s.dv);
}

std::string shape_text(const CaseShape& s) {
  const std::string d = s.dk == s.dv ? fmt::format("{}", s.dk) : fmt::format("{},{}", s.dk, s.dv);
  return fmt::format("{},{},{},{},{},{}", s.batch, s.hq, s.hkv, s.lq, s.lk, d);
}

ShrinkResult shrink_recipe(const CaseRecipe& start, const std::function<bool(const CaseRecipe&)>& holds) {
  ShrinkResult res{start, 0, 0};
  // Passes until one keeps nothing: a later step (a shorter Lk) can make an earlier
  // one (fewer heads) possible again.
  for (bool progress = true; progress;) {
    progress = false;
    for (Shrinker shrinker : kShrinkers) {
      for (bool again = true; again;) {
        again = false;
        for (const CaseRecipe& candidate : shrinker(res.recipe)) {
          if (!recipe_problem(candidate).empty()) continue;
          ++res.tried;
          if (!holds(candidate)) continue;
          res.recipe = candidate;
          ++res.accepted;
          again = progress = true;
          break;
        }
      }
    }
  }
  return res;
}

}  // namespace flashcheck::corpus
