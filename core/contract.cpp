// The contract table: one row per promise a kernel can make. Adding a contract is
// adding a row; the verdict reads only the fields.
#include "core/contract.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

namespace flashcheck {
namespace {

constexpr std::array kContracts{
    Contract{.name = "fp32",
             .description = "fp32 scores, softmax statistics and accumulator; fully masked rows give O = 0 and "
                            "LSE = -inf; K/V at masked keys are never read"},
    Contract{.name = "fp32-masked-nan",
             .description = "fp32 arithmetic; a fully masked row gives O = 0/0 = NaN and LSE = -inf (MLX's fused "
                            "SDPA); masked K/V enter the tile matmuls with weight 0, so only finite values there "
                            "are harmless",
             .fully_masked = MaskedRowPolicy::nan_o_neg_inf_lse,
             .masked_kv_unread = false},
    Contract{.name = "fp32-sentinel-mask",
             .description = "fp32 arithmetic; masked keys get a finite sentinel score or enter the tile products "
                            "with weight 0, so masked K/V are read (only finite values there are harmless) and a "
                            "fully masked row's output is unspecified (a mean of V, 0, or NaN by tile)",
             .fully_masked = MaskedRowPolicy::unspecified,
             .masked_kv_unread = false},
    Contract{.name = "fp32-masked-kv-read",
             .description = "fp32 arithmetic; fully masked rows give O = 0 and LSE = -inf; masked K/V enter the "
                            "products with weight 0, so only finite values there are harmless (PyTorch's CPU SDPA)",
             .masked_kv_unread = false},
    Contract{.name = "fp32-lse-base2",
             .description = "fp32 arithmetic; the LSE returned is in the log2 domain: log2(sum 2^(s log2 e)) = LSE / ln 2",
             .lse_base = LseBase::two},
    Contract{.name = "fp16-operands",
             .description = "Q, K, P and V rounded to fp16 for the two matrix products; fp32 softmax and accumulation",
             .operands = DType::f16},
    Contract{.name = "fp16-operands-sentinel-mask",
             .description = "fp16 operands as fp16-operands; a mask value <= -16 hides its key behind a finite "
                            "sentinel score, so masked K/V are read with weight 0, finite mask values <= -16 are "
                            "not additive biases, scores beyond the fp16 range (the sentinel's) are not represented, "
                            "and a fully masked row's output is unspecified (it averages V)",
             .operands = DType::f16,
             .fully_masked = MaskedRowPolicy::unspecified,
             .masked_kv_unread = false,
             .hides_at_or_below = -16.0,
             .max_abs_score = 65504.0},
    Contract{.name = "fp16-operands-masked-nan",
             .description = "fp16 operands as fp16-operands; a fully masked row gives O = 0/0 = NaN and LSE = -inf, "
                            "masked K/V enter the products with weight 0 (MLX's SDPA on fp16 inputs)",
             .operands = DType::f16,
             .fully_masked = MaskedRowPolicy::nan_o_neg_inf_lse,
             .masked_kv_unread = false},
    Contract{.name = "fp16-operands-masked-kv-read",
             .description = "fp16 operands as fp16-operands; fully masked rows give O = 0 and LSE = -inf; masked K/V "
                            "enter the products with weight 0 (PyTorch's SDPA backends on fp16 inputs)",
             .operands = DType::f16,
             .masked_kv_unread = false},
    Contract{.name = "bf16-operands",
             .description = "Q, K, P and V rounded to bf16 for the two matrix products; fp32 softmax and accumulation",
             .operands = DType::bf16},
    Contract{.name = "bf16-operands-masked-kv-read",
             .description = "bf16 operands as bf16-operands; fully masked rows give O = 0 and LSE = -inf; masked K/V "
                            "enter the products with weight 0 (PyTorch's SDPA backends on bf16 inputs)",
             .operands = DType::bf16,
             .masked_kv_unread = false},
    Contract{.name = "bf16-operands-masked-nan",
             .description = "bf16 operands as bf16-operands; a fully masked row gives O = 0/0 = NaN and LSE = -inf, "
                            "masked K/V enter the products with weight 0 (MLX's SDPA on bf16 inputs)",
             .operands = DType::bf16,
             .fully_masked = MaskedRowPolicy::nan_o_neg_inf_lse,
             .masked_kv_unread = false},
    Contract{.name = "fp16-accumulation",
             .description = "scores, softmax statistics and the O accumulator in fp16 (fp16 operands)",
             .operands = DType::f16,
             .accumulation = DType::f16},
    Contract{.name = "bf16-accumulation",
             .description = "scores, softmax statistics and the O accumulator in bf16 (bf16 operands)",
             .operands = DType::bf16,
             .accumulation = DType::bf16},
};

}  // namespace

std::span<const Contract> all_contracts() { return kContracts; }

const Contract* find_contract(std::string_view name) {
  for (const Contract& c : kContracts)
    if (c.name == name) return &c;
  return nullptr;
}

const Contract& default_contract() { return kContracts.front(); }

const Contract& contract_named(std::string_view name) {
  if (const Contract* c = find_contract(name)) return *c;
  throw std::invalid_argument(fmt::format("unknown contract '{}' (known: {})", name, contract_names()));
}

std::string contract_names() {
  std::string out;
  for (const Contract& c : kContracts) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

namespace {

// The largest Euclidean norm of a row (last dimension) of t.
double max_row_norm(const Tensor& t) {
  double best = 0;
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t i = 0; i < t.shape[2]; ++i) {
        double sum = 0;
        for (int64_t d = 0; d < t.shape[3]; ++d) sum += t.get(a, b, i, d) * t.get(a, b, i, d);
        best = std::max(best, std::sqrt(sum));
      }
  return best;
}

// An upper bound of |score| over the case (Cauchy-Schwarz on the dot products, plus the
// largest finite mask bias and ALiBi's largest position bias; softcap bounds the capped part).
double score_bound(const AttentionCase& c) {
  double dot = std::fabs(static_cast<double>(c.scale)) * max_row_norm(c.oracle_q()) * max_row_norm(c.k);
  if (c.softcap > 0.0f) dot = std::min(dot, static_cast<double>(c.softcap));
  double bias = 0;
  if (c.mask)
    for (int64_t i = 0; i < c.mask->shape[2]; ++i)
      for (int64_t j = 0; j < c.mask->shape[3]; ++j)
        if (const double x = c.mask->get(0, 0, i, j); std::isfinite(x)) bias = std::max(bias, std::fabs(x));
  if (c.uses_alibi()) bias += static_cast<double>(c.shape.lk + c.shape.lq);  // slopes are at most 1
  return dot + bias;
}

}  // namespace

std::optional<std::string> outside_contract(const Contract& contract, const AttentionCase& c) {
  if (c.mask && std::isfinite(contract.hides_at_or_below)) {
    const Tensor& m = *c.mask;
    for (int64_t i = 0; i < m.shape[2]; ++i)
      for (int64_t j = 0; j < m.shape[3]; ++j)
        if (const double x = m.get(0, 0, i, j); std::isfinite(x) && x <= contract.hides_at_or_below)
          return fmt::format("the explicit mask holds the finite bias {} ({:a}) at [{}, {}], and under the {} "
                             "contract a value <= {} hides the key instead",
                             x, x, i, j, contract.name, contract.hides_at_or_below);
  }
  if (std::isfinite(contract.max_abs_score))
    if (const double bound = score_bound(c); bound > contract.max_abs_score)
      return fmt::format("scores may reach {:.6g} (a bound from the Q and K row norms), beyond the {} the {} "
                         "contract represents",
                         bound, contract.max_abs_score, contract.name);
  if (!contract.masked_kv_unread && (!all_finite(c.k) || !all_finite(c.v)))
    return fmt::format("K/V hold inf or NaN, and the {} contract lets masked K/V enter the products with weight 0",
                       contract.name);
  return std::nullopt;
}

std::string to_string(LseBase b) { return b == LseBase::natural ? "natural" : "base 2"; }

std::string to_string(MaskedRowPolicy p) {
  switch (p) {
    case MaskedRowPolicy::zeros_neg_inf_lse: return "O = 0, LSE = -inf";
    case MaskedRowPolicy::nan_o_neg_inf_lse: return "O = NaN, LSE = -inf";
    case MaskedRowPolicy::unspecified: return "unspecified";
  }
  return "?";
}

std::string describe(const Contract& c) {
  return fmt::format("{}: {} accumulation, {} operands, fully masked rows {}, {} LSE, masked K/V {}; budget {} x "
                     "contract reference + {} ulps",
                     c.name, dtype_name(c.accumulation), dtype_name(c.operands), to_string(c.fully_masked),
                     to_string(c.lse_base), c.masked_kv_unread ? "never read" : "may be read (finite only)",
                     c.reference_factor, c.output_ulps);
}

}  // namespace flashcheck
