#pragma once
// For a case with block-quantized K/V, separates the kernel's own error from the
// format's: the oracle on the dequantized values is what the kernel is graded against
// (implementation error); the oracle on the unquantized values shows what the format
// itself costs (quantization error); the kernel against the unquantized values is the
// total a model user sees.
#include "core/backend.hpp"
#include "core/metrics.hpp"
#include "oracle/attention_oracle.hpp"

namespace flashcheck {

struct QuantizationSplit {
  ErrorMetrics implementation;  // kernel vs oracle(dequantized K/V)
  ErrorMetrics quantization;    // oracle(dequantized K/V) vs oracle(unquantized K/V)
  ErrorMetrics total;           // kernel vs oracle(unquantized K/V)
};

// `dequantized` is the oracle of c, `source` the oracle of without_quantization(c) (same
// output dtype). Rows that are fully masked in either are left out, as in the verdict.
QuantizationSplit split_quantization_error(const AttentionCase& c, const OracleResult& dequantized,
                                           const OracleResult& source, const RunOutput& out);

}  // namespace flashcheck
