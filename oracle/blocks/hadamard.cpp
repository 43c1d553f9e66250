#include "oracle/blocks/hadamard.hpp"

#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

#include "oracle/blocks/mx_block.hpp"

namespace flashcheck::blocks {

namespace {

// 2^-2.5 = 1/sqrt(32) rounded to double.
const double kInvSqrt32 = std::sqrt(0x1p-5);  // sqrt is correctly rounded
// The rotated value is (H x) * 2^(-5/2): quantize_mx_block_scaled takes the half exponent.
constexpr int kRotationHalfExponent = -5;

void require_row(std::span<const double> x) {
  if (x.size() % kBlockSize != 0)
    throw std::invalid_argument("rotation works on blocks of 32; row length " + std::to_string(x.size()));
}

}  // namespace

int hadamard_sign(int i, int j) { return std::popcount(static_cast<unsigned>(i & j)) % 2 == 0 ? 1 : -1; }

UnscaledRotation hadamard_unscaled(std::span<const double> x) {
  if (x.size() != kBlockSize)
    throw std::invalid_argument("a rotation block holds 32 values, got " + std::to_string(x.size()));
  UnscaledRotation r;
  for (int i = 0; i < kBlockSize; ++i) {
    double sum = 0.0;
    for (int j = 0; j < kBlockSize; ++j) {
      const double term = hadamard_sign(i, j) > 0 ? x[static_cast<size_t>(j)] : -x[static_cast<size_t>(j)];
      const double next = sum + term;
      // TwoSum: the rounding error of this addition, zero exactly when it was exact.
      const double back = next - sum;
      const double error = (sum - (next - back)) + (term - back);
      if (std::isfinite(next) && error != 0.0) r.exact = false;
      sum = next;
    }
    r.sums[static_cast<size_t>(i)] = sum;
  }
  return r;
}

std::array<double, kBlockSize> rotate_block(std::span<const double> x) {
  std::array<double, kBlockSize> y = hadamard_unscaled(x).sums;
  for (double& v : y) v *= kInvSqrt32;
  return y;
}

std::vector<double> rotate_row(std::span<const double> x) {
  require_row(x);
  std::vector<double> y;
  y.reserve(x.size());
  for (size_t i = 0; i < x.size(); i += kBlockSize)
    for (double v : rotate_block(x.subspan(i, kBlockSize))) y.push_back(v);
  return y;
}

std::vector<Block> quantize_rotated_row(const BlockScheme& s, std::span<const double> x, RotationMode mode,
                                        const MxOptions& o) {
  require_row(x);
  if (mode == RotationMode::unfused) {
    std::vector<double> y = rotate_row(x);
    for (double& v : y) v = static_cast<double>(static_cast<float>(v));
    return quantize_row(s, y, o);
  }
  if (s.family != SchemeFamily::mx)
    throw std::invalid_argument("fused rotation quantizes exact values; scheme " + std::string(s.name) +
                                " quantizes f32 values, use the unfused mode");
  MxConfig c = mx_config(s.element, o.rule);
  if (o.element_policy) c.element_policy = *o.element_policy;
  std::vector<Block> blocks;
  for (size_t i = 0; i < x.size(); i += kBlockSize) {
    const UnscaledRotation r = hadamard_unscaled(x.subspan(i, kBlockSize));
    if (!r.exact)
      throw std::domain_error("block " + std::to_string(i / kBlockSize) +
                              ": H x is not exact in double (its values span too many binades) for a fused rotation");
    blocks.push_back(quantize_mx_block_scaled(c, r.sums, kRotationHalfExponent));
  }
  return blocks;
}

}  // namespace flashcheck::blocks
