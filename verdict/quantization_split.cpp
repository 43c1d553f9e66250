#include "verdict/quantization_split.hpp"

#include <stdexcept>
#include <vector>

namespace flashcheck {
namespace {

// The element-wise inputs of one comparison, gathered over the rows both oracles see.
struct Columns {
  std::vector<float> got, expected;
  std::vector<double> exact, v_scale;
  ErrorMetrics metrics(DType t) const { return compare({got, expected, exact, v_scale, t}); }
};

}  // namespace

QuantizationSplit split_quantization_error(const AttentionCase& c, const OracleResult& dequantized,
                                           const OracleResult& source, const RunOutput& out) {
  const auto& s = c.shape;
  const int64_t rows = s.batch * s.hq * s.lq;
  const auto elements = static_cast<size_t>(rows * s.dv);
  if (dequantized.o.size() != elements || source.o.size() != elements)
    throw std::invalid_argument("split_quantization_error: the oracles do not match the case's shape");
  Columns implementation, quantization, total;
  for (int64_t row = 0; row < rows; ++row) {
    const auto r = static_cast<size_t>(row);
    if (dequantized.fully_masked[r] || source.fully_masked[r]) continue;
    const int64_t i = row % s.lq, h = (row / s.lq) % s.hq, b = row / (s.lq * s.hq);
    for (int64_t col = 0; col < s.dv; ++col) {
      const auto e = static_cast<size_t>(row * s.dv + col);
      const auto got = static_cast<float>(out.o.get(b, h, i, col));
      implementation.got.push_back(got);
      implementation.expected.push_back(dequantized.o[e]);
      implementation.exact.push_back(dequantized.o_exact[e]);
      implementation.v_scale.push_back(dequantized.v_scale[e]);
      quantization.got.push_back(dequantized.o[e]);
      total.got.push_back(got);
      for (Columns* to : {&quantization, &total}) {
        to->expected.push_back(source.o[e]);
        to->exact.push_back(source.o_exact[e]);
        to->v_scale.push_back(source.v_scale[e]);
      }
    }
  }
  return {implementation.metrics(c.o_type), quantization.metrics(c.o_type), total.metrics(c.o_type)};
}

}  // namespace flashcheck
