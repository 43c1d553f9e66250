// Metamorphic relations of the attention function itself, checked on every registered
// subject: key order does not matter, a constant added to a row's scores does not
// matter, V scaled by 2^k scales O by 2^k exactly, and grouped-query attention is
// multi-head attention with replicated K/V heads. Each side is a case whose exact answer
// the transformation fixes (core/case_transforms.hpp); "within budget" means each side
// passes the verdict against that shared exact answer under the subject's contract.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/case_transforms.hpp"
#include "props/test_metamorphic_support.hpp"

namespace flashcheck::metamorphic {
namespace {

// ---- (a) permuting KV positions -----------------------------------------------------

std::vector<int64_t> permutation_from_seed(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (int64_t j = n - 1; j > 0; --j)
    std::swap(order[static_cast<size_t>(j)], order[static_cast<size_t>(rng() % static_cast<uint64_t>(j + 1))]);
  return order;
}

class KvPermutation : public SubjectProperty {};

// Softmax sums over keys, so reordering K, V and the mask's columns together leaves O and
// LSE unchanged. Positions must not enter the scores: no ALiBi, and a causal / window mask
// is first written as an explicit one (the subject also runs the structural form, which
// has the same exact answer). Subjects without explicit masks get cases with every key
// visible.
TEST_P(KvPermutation, holds) {
  check([this] {
    CaseSpace space;
    space.alibi = false;
    space.kv = KvStorage::either;
    if (!subject().caps.explicit_mask) space.masks = {"none"};
    const AttentionCase structural = generate(draw_recipe(subject(), space));
    const AttentionCase original = with_structural_mask_as_explicit(structural);
    const uint64_t seed = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 32);
    const AttentionCase permuted = with_permuted_kv(original, permutation_from_seed(original.shape.lk, seed));

    const RunOutput out = run_or_discard(backend(), original);
    const RunOutput out_permuted = run_or_discard(backend(), permuted);
    const OracleResult oracle = oracle_of(original);  // the exact answer of every side
    require_verdict(subject(), original, oracle, out, "original");
    require_verdict(subject(), permuted, oracle, out_permuted, fmt::format("keys permuted (seed {})", seed));
    if (structural.mask_kind != original.mask_kind)
      require_verdict(subject(), structural, oracle, run_or_discard(backend(), structural),
                      "structural mask (before it was made explicit)");
  });
}

// ---- (b) adding a constant to a row's scores ----------------------------------------

// The spacing of the drawn shifts: 2^-6, or the f32 spacing at four times the largest sink
// when sinks are large (huge_scores), so that every sink plus a shift is exact in f32.
double shift_quantum(const AttentionCase& c) {
  double largest_sink = 0.0;
  for (float s : c.sinks) largest_sink = std::max(largest_sink, std::fabs(static_cast<double>(s)));
  if (largest_sink < 0x1p16) return 0x1p-6;
  return kFormatF32.ulp(4.0 * largest_sink);
}

// The case with its explicit mask entries rounded to multiples of 2^-10 and its sinks to
// multiples of the shift quantum, so that every shift of at most 1023 quanta stays exact
// in f32. It is just another valid case: the property's base, not a transformation
// claimed to keep the answer.
AttentionCase on_a_coarse_grid(AttentionCase c, double quantum) {
  auto to_grid = [](double x, double q) { return std::isfinite(x) ? q * std::nearbyint(x / q) : x; };
  if (c.mask)
    for (int64_t i = 0; i < c.shape.lq; ++i)
      for (int64_t j = 0; j < c.shape.lk; ++j) c.mask->set(0, 0, i, j, to_grid(c.mask->get(0, 0, i, j), 0x1p-10));
  for (float& s : c.sinks) s = static_cast<float>(to_grid(s, quantum));
  return c;
}

class RowScoreShift : public SubjectProperty {};

// softmax(s + c) = softmax(s) for a constant c per row: adding c_i to row i of the explicit
// mask leaves O unchanged (under ALiBi the slope scales c_i, still a constant per row and
// head). A sink shares the denominator, so with sinks every row gets the same shift and
// the sinks move with it (without ALiBi). The exact LSE moves by slope * c_i, so each side
// is graded against its own oracle; their O parts are identical bit for bit.
TEST_P(RowScoreShift, holds) {
  if (!subject().caps.explicit_mask) GTEST_SKIP() << GetParam() << " takes no explicit mask to carry the shift";
  check([this] {
    CaseSpace space;
    space.kv = KvStorage::either;
    CaseRecipe recipe = draw_recipe(subject(), space);
    if (recipe.max_bias > 0.0f) recipe.sinks = false;
    const AttentionCase generated = generate(recipe);
    const double quantum = shift_quantum(generated);
    const AttentionCase original = on_a_coarse_grid(generated, quantum);
    auto draw_shift = [quantum] { return static_cast<float>(quantum * *rc::gen::inRange(-1023, 1024)); };
    std::vector<float> shift(static_cast<size_t>(original.shape.lq));
    const float common = draw_shift();
    for (float& x : shift) x = original.has_sinks() ? common : draw_shift();
    const AttentionCase shifted = with_row_score_shift(original, shift);

    const RunOutput out = run_or_discard(backend(), original);
    const RunOutput out_shifted = run_or_discard(backend(), shifted);
    require_verdict(subject(), original, oracle_of(original), out, "original");
    require_verdict(subject(), shifted, oracle_of(shifted), out_shifted,
                    fmt::format("row scores shifted by {}", fmt::join(shift, ", ")));
  });
}

// ---- (c) V scaled by a power of two -------------------------------------------------

// Whether the kernel's arithmetic on row r stays clear of underflow and overflow for V and
// V * 2^k, so that every product and sum it forms scales by 2^k exactly: every weight
// exp(s_j - m) and every weight times a non-zero |v| well above the accumulation format's
// smallest normal, and n * max|v| * 2^k well below its largest finite value.
bool row_scales_exactly(const AttentionCase& c, const OracleResult& oracle, const Contract& contract, int64_t row,
                        int k) {
  const auto r = static_cast<size_t>(row);
  if (oracle.fully_masked[r] || oracle.visible_keys[r] == 0) return false;
  const BinaryFormat acc = traits(contract.accumulation).format;
  const double min_normal = std::ldexp(1.0, acc.emin);
  const CaseShape& s = c.shape;
  const int64_t h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq), g = c.kv_head(h);
  // s_j >= -max|s| and the running maximum m <= max(max|s|, sink): a bound below every weight.
  const double top = std::max(oracle.max_abs_score[r], c.has_sinks() ? std::fabs(c.sinks[static_cast<size_t>(h)]) : 0.0);
  const double min_weight = std::exp(-(oracle.max_abs_score[r] + top));
  double v_min = INFINITY, v_max = 0.0;
  for (int64_t j = 0; j < s.lk; ++j)
    for (int64_t d = 0; d < s.dv; ++d) {
      const double v = std::fabs(c.v.get(b, g, j, d));
      if (v > 0.0) v_min = std::min(v_min, v);
      v_max = std::max(v_max, v);
    }
  const double margin = std::ldexp(1.0, std::abs(k) + 4);
  const double n = static_cast<double>(oracle.visible_keys[r] + 1);
  return min_weight >= min_normal * margin && (v_max == 0.0 || min_weight * v_min >= min_normal * margin) &&
         n * v_max * margin <= acc.max_finite() &&
         v_max * margin <= traits(c.o_type).format.max_finite();
}

class VPowerOfTwoScaling : public SubjectProperty {};

// O = sum_j p_j v_j / sum_j p_j: with V * 2^k every product, sum and quotient the kernel
// forms is 2^k times the unscaled one, bit for bit, as long as none of them overflows or
// falls into the subnormal range (rows where that could happen are left out, as are O
// elements in the output dtype's subnormal range, whose rounding is not scale-invariant).
// The weights do not involve V, so LSE is identical bit for bit.
TEST_P(VPowerOfTwoScaling, holds) {
  check([this] {
    CaseSpace space;
    space.kv = KvStorage::either;
    space.quantized_v = false;
    // Distributions whose weights and |V| stay far from the accumulation type's limits (an
    // fp16 accumulator needs V bounded away from 0 and a flat softmax).
    space.distributions = subject().contract->accumulation == DType::f32
                              ? std::vector<std::string>{"uniform", "normal", "flat", "peaked", "same_sign_v", "large_v"}
                              : std::vector<std::string>{"same_sign_v"};
    const AttentionCase original = generate(draw_recipe(subject(), space));
    const int k = *rc::gen::element(-3, -2, -1, 1, 2, 3);
    AttentionCase scaled;
    try {
      scaled = with_v_scaled_by_power_of_two(original, k);
    } catch (const std::invalid_argument& e) {
      RC_DISCARD(std::string("V * 2^k is not exact in its dtype: ") + e.what());
    }
    const RunOutput out = run_or_discard(backend(), original);
    const RunOutput out_scaled = run_or_discard(backend(), scaled);
    const OracleResult oracle = oracle_of(original);
    require_verdict(subject(), original, oracle, out, "original");

    const CaseShape& s = original.shape;
    const double o_min_normal = std::ldexp(1.0, traits(original.o_type).format.emin);
    int64_t rows_compared = 0;
    for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
      if (!row_scales_exactly(original, oracle, *subject().contract, row, k)) continue;
      ++rows_compared;
      const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
      for (int64_t col = 0; col < s.dv; ++col) {
        const double x = out.o.get(b, h, i, col), y = out_scaled.o.get(b, h, i, col);
        if (std::fabs(x) < o_min_normal * std::ldexp(1.0, std::abs(k)) || std::fabs(y) < o_min_normal) continue;
        if (std::ldexp(y, -k) != x)
          fail_with_case(subject(), scaled,
                         fmt::format("V scaled by 2^{}: O[b={} h={} i={} col={}]: got {}, expected 2^{} * {} = {}", k,
                                     b, h, i, col, value_text(y), k, value_text(x), value_text(std::ldexp(x, k))));
      }
      const auto r = static_cast<size_t>(row);
      if (!out.lse.empty() && std::memcmp(&out.lse[r], &out_scaled.lse[r], sizeof(float)) != 0)
        fail_with_case(subject(), scaled,
                       fmt::format("V scaled by 2^{}: LSE[row {}]: got {}, expected the unscaled {}", k, row,
                                   value_text(out_scaled.lse[r]), value_text(out.lse[r])));
    }
    if (rows_compared == 0) RC_DISCARD("no row clear of underflow and overflow");
  });
}

// ---- (d) GQA as multi-head attention with replicated K/V ----------------------------

class GqaAsReplicatedHeads : public SubjectProperty {};

// A query head of grouped-query attention reads its group's KV head; giving every query
// head its own copy of that head changes no value any head reads. A kernel that computes
// each query head on its own gives the same bits.
TEST_P(GqaAsReplicatedHeads, holds) {
  if (!subject().caps.gqa) GTEST_SKIP() << GetParam() << " has no grouped-query attention";
  if (subject().declines_plain_kv)
    GTEST_SKIP() << GetParam() << " runs only quantized K/V, whose rows cannot be replicated head by head: "
                 << *subject().declines_plain_kv;
  check([this] {
    CaseSpace space;
    space.min_gqa_ratio = 2;
    const AttentionCase grouped = generate(draw_recipe(subject(), space));
    const AttentionCase replicated = with_replicated_kv_heads(grouped);
    const RunOutput out = run_or_discard(backend(), grouped);
    const RunOutput out_replicated = run_or_discard(backend(), replicated);
    const std::string diff = first_bit_difference(out_replicated, out);
    if (!diff.empty()) fail_with_case(subject(), replicated, "K/V heads replicated (Hkv = Hq): " + diff);
  });
}

INSTANTIATE_TEST_SUITE_P(Metamorphic, KvPermutation, ::testing::ValuesIn(registered_subjects()), subject_test_name);
INSTANTIATE_TEST_SUITE_P(Metamorphic, RowScoreShift, ::testing::ValuesIn(registered_subjects()), subject_test_name);
INSTANTIATE_TEST_SUITE_P(Metamorphic, VPowerOfTwoScaling, ::testing::ValuesIn(registered_subjects()),
                         subject_test_name);
INSTANTIATE_TEST_SUITE_P(Metamorphic, GqaAsReplicatedHeads, ::testing::ValuesIn(registered_subjects()),
                         subject_test_name);

}  // namespace
}  // namespace flashcheck::metamorphic
