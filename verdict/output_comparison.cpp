#include "verdict/output_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <limits>

namespace flashcheck {
namespace {

bool same_layout(const RunOutput& a, const RunOutput& b) {
  return a.o.dtype == b.o.dtype && a.o.shape == b.o.shape && a.lse.size() == b.lse.size();
}

bool same_o_bits(const Tensor& a, const Tensor& b, int64_t bi, int64_t h, int64_t i, int64_t col) {
  const auto size = static_cast<int64_t>(traits(a.dtype).size);
  return std::memcmp(a.data() + a.offset(bi, h, i, col) * size, b.data() + b.offset(bi, h, i, col) * size,
                     static_cast<size_t>(size)) == 0;
}

bool same_value(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }

std::string o_place(int64_t b, int64_t h, int64_t i, int64_t col) {
  return fmt::format("O[b={} h={} i={} col={}]", b, h, i, col);
}
std::string lse_place(int64_t b, int64_t h, int64_t i) { return fmt::format("LSE[b={} h={} i={}]", b, h, i); }

}  // namespace

std::string decimal_and_hex(double x) { return fmt::format("{:.9g} ({:a})", x, x); }

OutputDifference bitwise_difference(const AttentionCase& c, const RunOutput& a, const RunOutput& b,
                                    const RowFilter& rows) {
  const auto& s = c.shape;
  OutputDifference d;
  const bool lse = !a.lse.empty();
  if (!same_layout(a, b) || a.o.shape != Dims{s.batch, s.hq, s.lq, s.dv}) {
    d.compared = d.differing = s.batch * s.hq * s.lq * (s.dv + (lse ? 1 : 0));
    d.first = "the outputs differ in shape, dtype or LSE presence";
    return d;
  }
  auto note = [&](const std::string& where, double x, double y) {
    if (d.differing++ == 0) d.first = fmt::format("{}: {} vs {}", where, decimal_and_hex(x), decimal_and_hex(y));
  };
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    if (rows && !rows(row)) continue;
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, bi = row / (s.lq * s.hq);
    for (int64_t col = 0; col < s.dv; ++col) {
      ++d.compared;
      if (!same_o_bits(a.o, b.o, bi, h, i, col))
        note(o_place(bi, h, i, col), a.o.get(bi, h, i, col), b.o.get(bi, h, i, col));
    }
    if (lse) {
      ++d.compared;
      const auto r = static_cast<size_t>(row);
      if (std::memcmp(&a.lse[r], &b.lse[r], sizeof(float)) != 0) note(lse_place(bi, h, i), a.lse[r], b.lse[r]);
    }
  }
  return d;
}

BudgetDifference difference_beyond_budget(const AttentionCase& c, const OracleResult& oracle, const RunOutput& a,
                                          const RunOutput& b, const BudgetParams& p) {
  const auto& s = c.shape;
  BudgetDifference d;
  if (!same_layout(a, b)) {
    d.over = d.compared = 1;
    d.worst_ratio = std::numeric_limits<double>::infinity();
    d.worst = "the outputs differ in shape, dtype or LSE presence";
    return d;
  }
  // place() names the element; it is only formatted for the worst one.
  auto judge_pair = [&](auto place, double x, double y, bool masked_row, auto budget_of) {
    ++d.compared;
    double ratio = 0;
    if (masked_row || !std::isfinite(x) || !std::isfinite(y)) {
      ratio = same_value(x, y) ? 0.0 : std::numeric_limits<double>::infinity();
    } else if (x != y) {
      const double budget = budget_of();
      ratio = budget > 0 ? std::fabs(x - y) / budget : std::numeric_limits<double>::infinity();
    }
    if (ratio > 1.0) ++d.over;
    if (ratio > d.worst_ratio || (d.worst.empty() && ratio > 0)) {
      d.worst_ratio = ratio;
      d.worst = fmt::format("{}: {} vs {}", place(), decimal_and_hex(x), decimal_and_hex(y));
    }
  };
  for (int64_t row = 0; row < s.batch * s.hq * s.lq; ++row) {
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, bi = row / (s.lq * s.hq);
    const bool masked_row = oracle.fully_masked[static_cast<size_t>(row)] != 0;
    for (int64_t col = 0; col < s.dv; ++col)
      judge_pair([&] { return o_place(bi, h, i, col); }, a.o.get(bi, h, i, col), b.o.get(bi, h, i, col), masked_row,
                 [&] { return o_budget(c, oracle, row, col, p); });
    if (!a.lse.empty()) {
      const auto r = static_cast<size_t>(row);
      judge_pair([&] { return lse_place(bi, h, i); }, a.lse[r], b.lse[r], masked_row,
                 [&] { return lse_budget(c, oracle, row, p); });
    }
  }
  return d;
}

}  // namespace flashcheck
