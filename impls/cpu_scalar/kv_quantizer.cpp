// The KV-cache write path (ggml's set_rows into a quantized cache): every token row is
// quantized block by block with the scheme's own rules and packed in the row layout.
// ggml schemes follow ggml's reference quantizers operation by operation in f32; MX
// schemes take the OCP shared exponent X = floor(log2 amax) - emax_elem and round each
// x / 2^X to the element format (nearest even, saturating).
#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "impls/cpu_scalar/hadamard32.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "impls/cpu_scalar/kv_blocks.hpp"
#include "impls/cpu_scalar/kv_row_reader.hpp"
#include "impls/cpu_scalar/scalar_convert.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {
namespace {

struct QuantBlock {
  uint16_t scale = 0;  // E8M0 code or f16 bits
  std::array<uint8_t, kBlockSize> codes{};
};

constexpr int kE8m0Bias = 127;

// The code of the element format's largest finite value (saturation target).
uint8_t max_finite_code(const BlockScheme& s) {
  const std::array<float, 256>& values = element_values(s);
  const unsigned positive_codes = 1u << (s.element_bits - 1);
  for (unsigned code = 0; code < positive_codes; ++code)
    if (values[code] == s.format->max_finite) return static_cast<uint8_t>(code);
  throw std::logic_error("cpu-scalar: element table without its maximum");
}

// y rounded to nearest even into the element format, saturating at its largest finite
// value. y is x / 2^X, exact in double.
uint8_t encode_element(const BlockScheme& s, double y) {
  const ElementFormat& f = *s.format;
  const auto sign = static_cast<uint8_t>(std::signbit(y) ? 1u << (f.bits - 1) : 0u);
  const double a = std::fabs(y);
  if (a == 0.0) return sign;
  if (a >= f.max_finite) return static_cast<uint8_t>(sign | max_finite_code(s));
  const int m = f.mant_bits;
  int e = std::max(std::ilogb(a), 1 - f.bias);  // binade, clamped to the subnormal one
  const int q = e - m;                            // quantum of that binade
  const double scaled = std::ldexp(a, -q);        // < 2^(m+1), exact
  double n = std::floor(scaled);
  const double frac = scaled - n;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(n, 2.0) != 0.0)) n += 1.0;
  if (n == 0.0) return sign;
  if (std::ldexp(n, q) > f.max_finite) return static_cast<uint8_t>(sign | max_finite_code(s));
  auto significand = static_cast<unsigned>(n);
  if (significand == 2u << m) {  // rounded up into the next binade
    significand >>= 1;
    ++e;
  }
  const unsigned field = significand < (1u << m) ? 0u : static_cast<unsigned>(e + f.bias);
  const unsigned mantissa = significand & ((1u << m) - 1u);
  return static_cast<uint8_t>(sign | (field << m) | mantissa);
}

// Shared exponent of an MX block: floor(log2 amax) - emax_elem (OCP MX v1.0), or with the
// seeded bug round(log2 amax) - emax_elem, clamped to E8M0's range.
int mx_shared_exponent(const BlockScheme& s, float amax, bool round_log2) {
  if (amax == 0.0f) return -kE8m0Bias;
  int log2_amax = std::ilogb(amax);
  if (round_log2) {
    const double mantissa = std::scalbn(static_cast<double>(amax), -log2_amax);  // [1, 2)
    if (mantissa * mantissa >= 2.0) ++log2_amax;  // exact: a 24-bit mantissa squared fits a double
  }
  const int emax = std::ilogb(s.format->max_finite);
  return std::clamp(log2_amax - emax, -kE8m0Bias, kE8m0Bias);
}

QuantBlock quantize_mx(const BlockScheme& s, const float* x, bool round_log2) {
  float amax = 0.0f;
  for (int i = 0; i < kBlockSize; ++i) amax = std::max(amax, std::fabs(x[i]));
  const int shared = mx_shared_exponent(s, amax, round_log2);
  QuantBlock b;
  b.scale = static_cast<uint16_t>(shared + kE8m0Bias);
  for (int i = 0; i < kBlockSize; ++i)
    b.codes[static_cast<size_t>(i)] = encode_element(s, std::ldexp(static_cast<double>(x[i]), -shared));
  return b;
}

// quantize_row_q8_0_ref
QuantBlock quantize_q8_0(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kBlockSize; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  QuantBlock b;
  b.scale = f32_to_f16(d);
  for (int j = 0; j < kBlockSize; ++j)
    b.codes[static_cast<size_t>(j)] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
  return b;
}

// quantize_row_q4_0_ref: the first element of largest magnitude sets d = max / -8.
QuantBlock quantize_q4_0(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kBlockSize; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  const float d = max / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  QuantBlock b;
  b.scale = f32_to_f16(d);
  for (int j = 0; j < kBlockSize; ++j) {
    const int xi = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
    b.codes[static_cast<size_t>(j)] = static_cast<uint8_t>(xi);
  }
  return b;
}

// quantize_row_mxfp4_ref: e = floorf(log2f(amax)) - 2 + 127, then the first kvalue
// nearest to each x at the halved scale.
QuantBlock quantize_ggml_mxfp4(const BlockScheme& s, const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kBlockSize; ++j)
    if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
  uint8_t e = 0;
  if (amax > 0.0f) {
    const float ef = std::floor(std::log2(amax)) - 2.0f + 127.0f;
    e = ef < 0.0f ? uint8_t{0} : static_cast<uint8_t>(ef);
  }
  const float d = scale_value(s, &e);
  const std::array<float, 256>& kvalues = element_values(s);
  QuantBlock b;
  b.scale = e;
  for (int j = 0; j < kBlockSize; ++j) {
    uint8_t best = 0;
    float best_err = std::fabs(kvalues[0] * d - x[j]);
    for (uint8_t i = 1; i < 16; ++i) {
      const float err = std::fabs(kvalues[i] * d - x[j]);
      if (err < best_err) {
        best = i;
        best_err = err;
      }
    }
    b.codes[static_cast<size_t>(j)] = best;
  }
  return b;
}

QuantBlock quantize_block(const BlockScheme& s, const float* x, Mutant mutant) {
  switch (s.element) {
    case ElementKind::mx_float: return quantize_mx(s, x, mutant == Mutant::mx_scale_round);
    case ElementKind::ggml_int8: return quantize_q8_0(x);
    case ElementKind::ggml_uint4: return quantize_q4_0(x);
    case ElementKind::ggml_mxfp4: return quantize_ggml_mxfp4(s, x);
  }
  throw std::logic_error("cpu-scalar: block scheme without a quantizer");
}

void pack_codes(const BlockScheme& s, const QuantBlock& b, uint8_t* out) {
  switch (s.element_bits) {
    case 8:
      for (int i = 0; i < kBlockSize; ++i) out[i] = b.codes[static_cast<size_t>(i)];
      return;
    case 6:
      for (int g = 0; g < kBlockSize / 4; ++g) {
        uint32_t w = 0;
        for (int k = 0; k < 4; ++k) w |= static_cast<uint32_t>(b.codes[static_cast<size_t>(4 * g + k)]) << (6 * k);
        for (int k = 0; k < 3; ++k) out[3 * g + k] = static_cast<uint8_t>(w >> (8 * k));
      }
      return;
    default:
      for (int i = 0; i < kBlockSize / 2; ++i) {
        const bool adjacent = s.nibbles == NibbleOrder::adjacent;
        const uint8_t lo = b.codes[static_cast<size_t>(adjacent ? 2 * i : i)];
        const uint8_t hi = b.codes[static_cast<size_t>(adjacent ? 2 * i + 1 : i + kBlockSize / 2)];
        out[i] = static_cast<uint8_t>(lo | (hi << 4));
      }
      return;
  }
}

void pack_scale(const BlockScheme& s, uint16_t scale, uint8_t* out) {
  out[0] = static_cast<uint8_t>(scale & 0xFFu);
  if (s.scale_bytes() == 2) out[1] = static_cast<uint8_t>(scale >> 8);  // f16, little-endian
}

}  // namespace

std::vector<uint8_t> set_rows(const Tensor& source, const std::string& scheme, KvRowLayout layout, bool hadamard,
                              Mutant mutant) {
  const BlockScheme* s = find_block_scheme(scheme);
  if (s == nullptr) throw std::invalid_argument("cpu-scalar set_rows: unknown KV block scheme " + scheme);
  const int64_t batch = source.shape[0], heads = source.shape[1], tokens = source.shape[2], dim = source.shape[3];
  if (dim % kBlockSize != 0)
    throw std::invalid_argument("cpu-scalar set_rows: a quantized row needs a head dimension that is a multiple of 32");
  const int64_t n_blocks = heads * dim / kBlockSize;
  const int64_t row_bytes = n_blocks * s->block_bytes();
  std::vector<uint8_t> bytes(static_cast<size_t>(batch * tokens * row_bytes), 0);
  std::vector<float> row(static_cast<size_t>(heads * dim));
  const StorageRows reader(source);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < tokens; ++j) {
      for (int64_t h = 0; h < heads; ++h) reader.read(b, h, j, row.data() + h * dim);
      if (hadamard) rotate_blocks32_wide(row.data(), heads * dim);
      uint8_t* out = bytes.data() + (b * tokens + j) * row_bytes;
      for (int64_t n = 0; n < n_blocks; ++n) {
        const QuantBlock qb = quantize_block(*s, row.data() + n * kBlockSize, mutant);
        const BlockAddress at = block_address(*s, layout, n_blocks, n);
        pack_scale(*s, qb.scale, out + at.scale_at);
        pack_codes(*s, qb, out + at.elements_at);
      }
    }
  return bytes;
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
