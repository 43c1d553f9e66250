// Quantized K/V for cases: the reference quantizers of oracle/blocks turn source rows
// into the bytes a kernel reads; dequantizing those bytes gives the oracle's K / V.
#include "core/quantized_kv.hpp"

#include <array>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>

#include "core/named_values.hpp"
#include "oracle/blocks/block_layout.hpp"
#include "oracle/blocks/block_scheme.hpp"
#include "oracle/blocks/hadamard.hpp"

namespace flashcheck {
namespace {

constexpr std::array<std::pair<KvRowLayout, std::string_view>, 2> kLayoutNames{
    {{KvRowLayout::aos, "aos"}, {KvRowLayout::soa, "soa"}}};

blocks::LayoutOptions layout_options(KvRowLayout l) {
  blocks::LayoutOptions o;
  o.layout = l == KvRowLayout::aos ? blocks::RowLayout::aos : blocks::RowLayout::soa;
  return o;
}

const blocks::BlockScheme& scheme_or_throw(const std::string& name) {
  if (!is_kv_scheme(name))
    throw std::invalid_argument(
        fmt::format("unknown KV block scheme '{}' (known: {})", name, fmt::join(kv_scheme_names(), ", ")));
  return blocks::block_scheme(name);
}

// One token's row: every head's dim values, head-major.
std::vector<double> token_row(const Tensor& t, int64_t b, int64_t token) {
  const int64_t heads = t.shape[1], dim = t.shape[3];
  std::vector<double> row(static_cast<size_t>(heads * dim));
  for (int64_t h = 0; h < heads; ++h) t.read_row(b, h, token, row.data() + h * dim);
  return row;
}

void require_f32_exact(double v, const char* what) {
  if (static_cast<double>(static_cast<float>(v)) != v && !std::isnan(v))
    throw std::logic_error(fmt::format("{} value {} ({:a}) is not an f32", what, v, v));
}

}  // namespace

std::string_view kv_row_layout_name(KvRowLayout l) { return name_in<KvRowLayout>(kLayoutNames, l, "KV row layout"); }
std::optional<KvRowLayout> parse_kv_row_layout(std::string_view s) { return value_named<KvRowLayout>(kLayoutNames, s); }

std::vector<std::string> kv_scheme_names() {
  std::vector<std::string> names;
  for (const blocks::BlockScheme& s : blocks::all_block_schemes()) names.emplace_back(s.name);
  return names;
}

bool is_kv_scheme(std::string_view name) {
  for (const blocks::BlockScheme& s : blocks::all_block_schemes())
    if (s.name == name) return true;
  return false;
}

bool is_mx_scale_scheme(std::string_view name) {
  return is_kv_scheme(name) && blocks::block_scheme(name).family == blocks::SchemeFamily::mx;
}

QuantizedKv quantize_kv(const Tensor& source, const KvQuantSpec& spec, Tensor* dequantized) {
  const blocks::BlockScheme& scheme = scheme_or_throw(spec.scheme);
  const int64_t batch = source.shape[0], heads = source.shape[1], tokens = source.shape[2], dim = source.shape[3];
  if (dim % blocks::kBlockSize != 0)
    throw std::invalid_argument(
        fmt::format("a {} row needs a head dimension that is a multiple of 32 (got {})", spec.scheme, dim));
  QuantizedKv q;
  q.scheme = spec.scheme;
  q.layout = spec.layout;
  q.hadamard = spec.hadamard;
  q.batch = batch;
  q.heads = heads;
  q.tokens = tokens;
  q.dim = dim;
  const auto n_blocks = static_cast<size_t>(heads * dim / blocks::kBlockSize);
  q.row_bytes = static_cast<int64_t>(blocks::row_bytes(scheme, n_blocks));
  q.bytes.reserve(static_cast<size_t>(batch * tokens * q.row_bytes));
  q.source = Tensor::make(DType::f32, {batch, heads, tokens, dim});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < tokens; ++j) {
      const std::vector<double> row = token_row(source, b, j);
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t d = 0; d < dim; ++d) {
          const double v = row[static_cast<size_t>(h * dim + d)];
          if (!std::isfinite(v)) throw std::invalid_argument("quantized K/V sources must be finite");
          require_f32_exact(v, "source");
          q.source.set(b, h, j, d, v);
        }
      const std::vector<blocks::Block> blocks =
          spec.hadamard ? blocks::quantize_rotated_row(scheme, row, blocks::RotationMode::unfused)
                        : blocks::quantize_row(scheme, row);
      const std::vector<uint8_t> bytes = blocks::pack_row(scheme, blocks, layout_options(spec.layout));
      q.bytes.insert(q.bytes.end(), bytes.begin(), bytes.end());
    }
  if (dequantized) *dequantized = dequantize_kv(q);
  return q;
}

void set_e8m0_scale_byte(QuantizedKv& q, int64_t b, int64_t token, int64_t block, uint8_t code) {
  const blocks::BlockScheme& scheme = scheme_or_throw(q.scheme);
  if (scheme.scale != blocks::ScaleStorage::e8m0)
    throw std::invalid_argument(fmt::format("scheme {} has no E8M0 scale", q.scheme));
  const int64_t n_blocks = q.heads * q.dim / blocks::kBlockSize;
  if (b < 0 || b >= q.batch || token < 0 || token >= q.tokens || block < 0 || block >= n_blocks)
    throw std::invalid_argument("set_e8m0_scale_byte: block out of range");
  const int64_t at = q.layout == KvRowLayout::aos ? block * scheme.block_bytes()
                                                   : n_blocks * scheme.element_bytes() + block;
  q.bytes[static_cast<size_t>((b * q.tokens + token) * q.row_bytes + at)] = code;
}

Tensor dequantize_kv(const QuantizedKv& q) {
  const blocks::BlockScheme& scheme = scheme_or_throw(q.scheme);
  if (static_cast<int64_t>(q.bytes.size()) != q.batch * q.tokens * q.row_bytes)
    throw std::invalid_argument(fmt::format("{} bytes do not hold {} rows of {}", q.bytes.size(), q.batch * q.tokens,
                                            q.row_bytes));
  Tensor t = Tensor::make(DType::f32, {q.batch, q.heads, q.tokens, q.dim});
  for (int64_t b = 0; b < q.batch; ++b)
    for (int64_t j = 0; j < q.tokens; ++j) {
      const std::vector<double> row = blocks::dequantize_packed_row(
          scheme, std::span<const uint8_t>(q.row(b, j), static_cast<size_t>(q.row_bytes)), layout_options(q.layout));
      if (static_cast<int64_t>(row.size()) != q.heads * q.dim)
        throw std::invalid_argument(fmt::format("a row of {} bytes decodes to {} values, not {}", q.row_bytes,
                                                row.size(), q.heads * q.dim));
      for (int64_t h = 0; h < q.heads; ++h)
        for (int64_t d = 0; d < q.dim; ++d) {
          const double v = row[static_cast<size_t>(h * q.dim + d)];
          require_f32_exact(v, "dequantized");
          t.set(b, h, j, d, v);
        }
    }
  return t;
}

Tensor rotate_q_rows(const Tensor& q) {
  const int64_t dim = q.shape[3];
  if (dim % blocks::kBlockSize != 0)
    throw std::invalid_argument(fmt::format("Hadamard rotation needs Dk a multiple of 32 (got {})", dim));
  Tensor t = Tensor::make(DType::f32, q.shape);
  std::vector<double> row(static_cast<size_t>(dim));
  for (int64_t b = 0; b < q.shape[0]; ++b)
    for (int64_t h = 0; h < q.shape[1]; ++h)
      for (int64_t i = 0; i < q.shape[2]; ++i) {
        q.read_row(b, h, i, row.data());
        const std::vector<double> r = blocks::rotate_row(row);
        for (int64_t d = 0; d < dim; ++d) t.set(b, h, i, d, r[static_cast<size_t>(d)]);
      }
  return t;
}

}  // namespace flashcheck
