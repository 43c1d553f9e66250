#include "oracle/blocks/block_scheme.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "oracle/blocks/ggml_block.hpp"
#include "oracle/blocks/mx_block.hpp"

namespace flashcheck::blocks {

namespace {

constexpr std::array kSchemes{
    //          name          family                   element     bits scale                 nibbles
    BlockScheme{"mxfp8_e4m3", SchemeFamily::mx, "fp8_e4m3", 8, ScaleStorage::e8m0, NibbleOrder::adjacent},
    BlockScheme{"mxfp8_e5m2", SchemeFamily::mx, "fp8_e5m2", 8, ScaleStorage::e8m0, NibbleOrder::adjacent},
    BlockScheme{"mxfp6_e2m3", SchemeFamily::mx, "fp6_e2m3", 6, ScaleStorage::e8m0, NibbleOrder::adjacent},
    BlockScheme{"mxfp6_e3m2", SchemeFamily::mx, "fp6_e3m2", 6, ScaleStorage::e8m0, NibbleOrder::adjacent},
    BlockScheme{"mxfp4_e2m1", SchemeFamily::mx, "fp4_e2m1", 4, ScaleStorage::e8m0, NibbleOrder::adjacent},
    BlockScheme{"ggml_q8_0", SchemeFamily::ggml_q8_0, "int8", 8, ScaleStorage::fp16, NibbleOrder::split_halves},
    BlockScheme{"ggml_q4_0", SchemeFamily::ggml_q4_0, "uint4", 4, ScaleStorage::fp16, NibbleOrder::split_halves},
    BlockScheme{"ggml_mxfp4", SchemeFamily::ggml_mxfp4, "fp4_e2m1", 4, ScaleStorage::e8m0, NibbleOrder::split_halves},
};

using GgmlQuantize = Block (*)(std::span<const float>);
using GgmlDequantize = std::array<float, kBlockSize> (*)(const Block&);

struct GgmlCodec {
  SchemeFamily family;
  GgmlQuantize quantize;
  GgmlDequantize dequantize;
};

constexpr std::array kGgmlCodecs{
    GgmlCodec{SchemeFamily::ggml_q8_0, quantize_ggml_q8_0, dequantize_ggml_q8_0},
    GgmlCodec{SchemeFamily::ggml_q4_0, quantize_ggml_q4_0, dequantize_ggml_q4_0},
    GgmlCodec{SchemeFamily::ggml_mxfp4, quantize_ggml_mxfp4, dequantize_ggml_mxfp4},
};

const GgmlCodec& ggml_codec(const BlockScheme& s) {
  for (const GgmlCodec& c : kGgmlCodecs)
    if (c.family == s.family) return c;
  throw std::invalid_argument("scheme " + std::string(s.name) + " is not a ggml scheme");
}

MxConfig config_of(const BlockScheme& s, const MxOptions& o) {
  MxConfig c = mx_config(s.element, o.rule);
  if (o.element_policy) c.element_policy = *o.element_policy;
  return c;
}

std::array<float, kBlockSize> as_floats(const BlockScheme& s, std::span<const double> x) {
  std::array<float, kBlockSize> out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<float>(x[i]);
    if (!std::isnan(x[i]) && static_cast<double>(out[i]) != x[i])
      throw std::invalid_argument("scheme " + std::string(s.name) + " quantizes f32 values; " + describe_value(x[i]) +
                                  " is not one");
  }
  return out;
}

}  // namespace

std::span<const BlockScheme> all_block_schemes() { return kSchemes; }

const BlockScheme& block_scheme(std::string_view name) {
  for (const BlockScheme& s : kSchemes)
    if (s.name == name) return s;
  std::string known;
  for (const BlockScheme& s : kSchemes) known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw std::invalid_argument("unknown block scheme '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<Block> quantize_row(const BlockScheme& s, std::span<const double> x, const MxOptions& o) {
  if (x.size() % kBlockSize != 0)
    throw std::invalid_argument("row length " + std::to_string(x.size()) + " is not a multiple of 32");
  const bool mx = s.family == SchemeFamily::mx;
  if (!mx && (o.rule != ScaleRule::ocp_floor || o.element_policy))
    throw std::invalid_argument("scheme " + std::string(s.name) + " has a fixed scale rule and element rounding");
  std::vector<Block> blocks;
  blocks.reserve(x.size() / kBlockSize);
  for (size_t i = 0; i < x.size(); i += kBlockSize) {
    const std::span<const double> block = x.subspan(i, kBlockSize);
    if (mx) {
      blocks.push_back(quantize_mx_block(config_of(s, o), block));
    } else {
      const std::array<float, kBlockSize> f = as_floats(s, block);
      blocks.push_back(ggml_codec(s).quantize(f));
    }
  }
  return blocks;
}

std::vector<double> dequantize_row(const BlockScheme& s, std::span<const Block> blocks) {
  std::vector<double> out;
  out.reserve(blocks.size() * kBlockSize);
  for (const Block& b : blocks) {
    if (s.family == SchemeFamily::mx) {
      for (double v : dequantize_mx_block(formats::element_format(s.element), b)) out.push_back(v);
    } else {
      for (float v : ggml_codec(s).dequantize(b)) out.push_back(static_cast<double>(v));
    }
  }
  return out;
}

}  // namespace flashcheck::blocks
