#include "fuzz/attention_fuzz_case.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace flashcheck::fuzz {

DecodeLimits attention_decode_limits() {
  const AttentionShapeLimits& l = kAttentionShapeLimits;
  DecodeLimits d;
  d.max_dimension = l.lk;  // the largest single dimension a case may have
  d.max_tensor_elements = l.batch * l.heads * l.lk * l.dim;
  d.max_total_elements = 3 * d.max_tensor_elements + l.lq * l.lk;
  d.max_string_bytes = 256;
  d.max_kills = 8;
  return d;
}

std::string shape_limit_problem(const CaseShape& s, const AttentionShapeLimits& limits) {
  const struct {
    const char* name;
    int64_t value, limit;
  } dims[] = {{"batch", s.batch, limits.batch}, {"Hq", s.hq, limits.heads}, {"Hkv", s.hkv, limits.heads},
              {"Lq", s.lq, limits.lq},          {"Lk", s.lk, limits.lk},    {"Dk", s.dk, limits.dim},
              {"Dv", s.dv, limits.dim}};
  for (const auto& d : dims)
    if (d.value > d.limit) return fmt::format("{} = {} exceeds the fuzzing limit {}", d.name, d.value, d.limit);
  return {};
}

std::vector<uint8_t> keys_hidden_from_every_row(const AttentionCase& c) {
  std::vector<uint8_t> hidden(static_cast<size_t>(c.shape.lk), 1);
  const double neg_inf = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < c.shape.lk; ++j)
    for (int64_t i = 0; i < c.shape.lq && hidden[static_cast<size_t>(j)]; ++i)
      if (c.bias(i, j) != neg_inf) hidden[static_cast<size_t>(j)] = 0;
  return hidden;
}

namespace {

// The first element of t that `allowed` refuses, as "<name>[b][h][s][d] = value".
template <class Allowed>
std::string first_refused(const Tensor& t, const char* name, Allowed allowed) {
  for (int64_t b = 0; b < t.shape[0]; ++b)
    for (int64_t h = 0; h < t.shape[1]; ++h)
      for (int64_t s = 0; s < t.shape[2]; ++s)
        for (int64_t d = 0; d < t.shape[3]; ++d) {
          const double x = t.get(b, h, s, d);
          if (!allowed(x, s)) return fmt::format("{}[{}][{}][{}][{}] = {} ({:a})", name, b, h, s, d, x, x);
        }
  return {};
}

}  // namespace

std::string oracle_definedness_problem(const AttentionCase& c) {
  const auto finite = [](double x, int64_t) { return std::isfinite(x); };
  if (std::string p = first_refused(c.q, "Q", finite); !p.empty()) return p + ": Q must be finite";
  if (c.rotated_q)
    if (std::string p = first_refused(*c.rotated_q, "rotated Q", finite); !p.empty()) return p + ": must be finite";
  if (c.mask) {
    const auto no_nan_or_pos_inf = [](double x, int64_t) { return !std::isnan(x) && x != std::numeric_limits<double>::infinity(); };
    if (std::string p = first_refused(*c.mask, "mask", no_nan_or_pos_inf); !p.empty())
      return p + ": a mask entry must be finite or -inf";
  }
  const std::vector<uint8_t> hidden = keys_hidden_from_every_row(c);
  const auto hidden_or_finite = [&](double x, int64_t key) { return std::isfinite(x) || hidden[static_cast<size_t>(key)]; };
  if (std::string p = first_refused(c.k, "K", hidden_or_finite); !p.empty())
    return p + ": non-finite K at a key some row sees";
  const bool v_nan_allowed = c.v_quant.has_value();
  const auto v_allowed = [&](double x, int64_t key) { return hidden_or_finite(x, key) || (v_nan_allowed && std::isnan(x)); };
  if (std::string p = first_refused(c.v, "V", v_allowed); !p.empty()) return p + ": non-finite V at a key some row sees";
  return {};
}

}  // namespace flashcheck::fuzz
