#include "impls/ggml/ggml_fa_graph.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml.h"
#include "impls/ggml/ggml_fa_mask.hpp"

namespace flashcheck::ggml_subject {
namespace {

// A reason the case cannot be run as asked: unsupported (ggml cannot express it) or an error.
struct Refusal {
  int status;
  std::string message;
};

struct DenseType {
  int32_t fc;
  ggml_type type;
};
constexpr DenseType kDenseTypes[] = {
    {FC_DTYPE_F32, GGML_TYPE_F32}, {FC_DTYPE_F16, GGML_TYPE_F16}, {FC_DTYPE_BF16, GGML_TYPE_BF16}};

struct SchemeType {
  std::string_view scheme;
  ggml_type type;
};
constexpr SchemeType kSchemeTypes[] = {
    {"ggml_q8_0", GGML_TYPE_Q8_0}, {"ggml_q4_0", GGML_TYPE_Q4_0}, {"ggml_mxfp4", GGML_TYPE_MXFP4}};

ggml_type dense_type(int32_t fc) {
  for (const auto& d : kDenseTypes)
    if (d.fc == fc) return d.type;
  throw Refusal{FC_STATUS_UNSUPPORTED, "dtype " + std::to_string(fc) + " has no ggml type"};
}

ggml_type scheme_type(const fc_quantized_kv& q) {
  for (const auto& s : kSchemeTypes)
    if (q.scheme && s.scheme == q.scheme) return s.type;
  throw Refusal{FC_STATUS_UNSUPPORTED,
                std::string("block scheme ") + (q.scheme ? q.scheme : "(null)") + " is not a ggml type"};
}

// The ggml context holding the graph's tensor headers (no data: the tensors live in one
// buffer of the chosen backend), and the host bytes each input tensor is filled from.
class Graph {
 public:
  Graph() {
    constexpr size_t kMaxTensors = 16;
    const ggml_init_params p{ggml_tensor_overhead() * kMaxTensors + ggml_graph_overhead(), nullptr, true};
    ctx_ = ggml_init(p);
    if (!ctx_) throw Refusal{FC_STATUS_ERROR, "ggml_init failed"};
  }
  ~Graph() {
    if (buffer_) ggml_backend_buffer_free(buffer_);
    ggml_free(ctx_);
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ggml_context* ctx() const { return ctx_; }

  // t is filled with ggml_nbytes(t) bytes from data once the buffer exists.
  ggml_tensor* input(ggml_tensor* t, const void* data) {
    uploads_.push_back({t, data});
    return t;
  }

  // Allocates every tensor of the context in one buffer of backend and uploads the inputs
  // as the same bytes (quantized blocks included).
  void allocate_and_upload(ggml_backend_t backend) {
    buffer_ = ggml_backend_alloc_ctx_tensors(ctx_, backend);
    if (!buffer_) throw Refusal{FC_STATUS_ERROR, "ggml could not allocate the case's tensors on the backend"};
    for (const Upload& u : uploads_) ggml_backend_tensor_set(u.tensor, u.data, 0, ggml_nbytes(u.tensor));
  }

 private:
  struct Upload {
    ggml_tensor* tensor;
    const void* data;
  };
  ggml_context* ctx_ = nullptr;
  ggml_backend_buffer_t buffer_ = nullptr;
  std::vector<Upload> uploads_;
};

// fc_tensor [batch][heads][seq][dim] as a ggml view [dim, seq, heads, batch] in place.
// ggml needs the dim of each row contiguous; other layouts are packed into *packed.
ggml_tensor* dense_view(Graph& graph, const fc_tensor& t, std::vector<std::byte>& packed) {
  ggml_context* ctx = graph.ctx();
  const ggml_type type = dense_type(t.dtype);
  const auto es = static_cast<int64_t>(ggml_type_size(type));
  int64_t strides[4];
  std::copy(std::begin(t.strides), std::end(t.strides), strides);
  const bool in_place = t.strides[3] == 1 && std::all_of(std::begin(t.strides), std::end(t.strides),
                                                        [](int64_t s) { return s >= 0; });
  const std::byte* data = static_cast<const std::byte*>(t.data);
  if (!in_place) {
    const int64_t n = t.shape[0] * t.shape[1] * t.shape[2] * t.shape[3];
    packed.resize(static_cast<size_t>(n * es));
    int64_t at = 0;
    for (int64_t i0 = 0; i0 < t.shape[0]; ++i0)
      for (int64_t i1 = 0; i1 < t.shape[1]; ++i1)
        for (int64_t i2 = 0; i2 < t.shape[2]; ++i2)
          for (int64_t i3 = 0; i3 < t.shape[3]; ++i3, ++at) {
            const int64_t from = i0 * t.strides[0] + i1 * t.strides[1] + i2 * t.strides[2] + i3 * t.strides[3];
            std::memcpy(packed.data() + at * es, data + from * es, static_cast<size_t>(es));
          }
    strides[3] = 1;
    strides[2] = t.shape[3];
    strides[1] = t.shape[2] * strides[2];
    strides[0] = t.shape[1] * strides[1];
    data = packed.data();
  }
  int64_t extent = 1;
  for (int i = 0; i < 4; ++i) extent += (t.shape[i] - 1) * strides[i];
  ggml_tensor* base = graph.input(ggml_new_tensor_1d(ctx, type, extent), data);
  return ggml_view_4d(ctx, base, t.shape[3], t.shape[2], t.shape[1], t.shape[0], static_cast<size_t>(strides[2] * es),
                      static_cast<size_t>(strides[1] * es), static_cast<size_t>(strides[0] * es), 0);
}

// The case's quantized rows as a ggml tensor [dim, tokens, heads, batch] of ggml blocks:
// an AoS row is exactly a run of block_q8_0 / block_q4_0 / block_mxfp4.
ggml_tensor* quantized_view(Graph& graph, const fc_quantized_kv& q) {
  ggml_context* ctx = graph.ctx();
  const ggml_type type = scheme_type(q);
  if (q.layout != FC_KV_AOS) throw Refusal{FC_STATUS_UNSUPPORTED, "ggml reads quantized K/V rows in AoS layout only"};
  if (q.hadamard) throw Refusal{FC_STATUS_UNSUPPORTED, "ggml does not rotate Q for Hadamard-rotated K"};
  const auto head_bytes = static_cast<int64_t>(ggml_row_size(type, q.dim));
  if (q.dim % ggml_blck_size(type) != 0 || q.row_bytes != q.heads * head_bytes)
    throw Refusal{FC_STATUS_ERROR, "quantized rows of " + std::to_string(q.row_bytes) + " bytes do not hold " +
                                       std::to_string(q.heads) + " heads of " + std::to_string(q.dim) + " " +
                                       ggml_type_name(type) + " values"};
  ggml_tensor* base = graph.input(ggml_new_tensor_1d(ctx, type, q.batch * q.tokens * q.heads * q.dim), q.bytes);
  return ggml_view_4d(ctx, base, q.dim, q.tokens, q.heads, q.batch, static_cast<size_t>(q.row_bytes),
                      static_cast<size_t>(head_bytes), static_cast<size_t>(q.tokens * q.row_bytes), 0);
}

void check_case(const fc_case& c) {
  if (c.struct_size < sizeof(fc_case)) throw Refusal{FC_STATUS_ERROR, "fc_case from an older host ABI"};
  if (c.q.dtype != FC_DTYPE_F32) throw Refusal{FC_STATUS_UNSUPPORTED, "ggml's flash_attn_ext reads Q in f32 only"};
  if (c.o_dtype != FC_DTYPE_F32) throw Refusal{FC_STATUS_UNSUPPORTED, "ggml's flash_attn_ext writes O in f32 only"};
  if (c.hkv <= 0 || c.hq % c.hkv != 0) throw Refusal{FC_STATUS_ERROR, "hq is not a multiple of hkv"};
  if (c.batch <= 0 || c.lq <= 0 || c.lk <= 0 || c.dk <= 0 || c.dv <= 0)
    throw Refusal{FC_STATUS_ERROR, "empty shape"};
}

int compute(const fc_case& c, fc_output& out, ggml_backend_t backend) {
  check_case(c);
  Graph graph;
  ggml_context* ctx = graph.ctx();
  std::vector<std::byte> q_packed, k_packed, v_packed;

  ggml_tensor* q = dense_view(graph, c.q, q_packed);
  ggml_tensor* k = c.k_quant ? quantized_view(graph, *c.k_quant) : dense_view(graph, c.k, k_packed);
  ggml_tensor* v = c.v_quant ? quantized_view(graph, *c.v_quant) : dense_view(graph, c.v, v_packed);

  std::string why_not;
  const std::optional<F16Mask> mask_values = f16_mask_from_bias(c.bias, c.lq, c.lk, c.max_bias > 0.0f, &why_not);
  if (!why_not.empty()) throw Refusal{FC_STATUS_UNSUPPORTED, why_not};
  ggml_tensor* mask = nullptr;
  if (mask_values) mask = graph.input(ggml_new_tensor_2d(ctx, GGML_TYPE_F16, c.lk, c.lq), mask_values->values.data());

  ggml_tensor* result = ggml_flash_attn_ext(ctx, q, k, v, mask, c.scale, c.max_bias, c.softcap);
  if (c.sinks) ggml_flash_attn_ext_add_sinks(result, graph.input(ggml_new_tensor_1d(ctx, GGML_TYPE_F32, c.hq), c.sinks));
  ggml_prec_set_acc(result, GGML_PREC_F32);  // what llama.cpp asks of flash attention

  // A node the backend does not take is one llama.cpp's scheduler would run elsewhere:
  // the case is not this backend's to grade.
  if (!ggml_backend_supports_op(backend, result))
    throw Refusal{FC_STATUS_UNSUPPORTED, std::string("ggml backend ") + ggml_backend_name(backend) +
                                             " does not support this flash_attn_ext (types, head sizes or mask)"};

  ggml_cgraph* cgraph = ggml_new_graph(ctx);
  ggml_build_forward_expand(cgraph, result);
  graph.allocate_and_upload(backend);
  const ggml_status status = ggml_backend_graph_compute(backend, cgraph);
  if (status != GGML_STATUS_SUCCESS)
    throw Refusal{FC_STATUS_ERROR, std::string("ggml_backend_graph_compute: ") + ggml_status_to_string(status)};

  // ggml's result is [dv, hq, lq, batch]: element (d, h, i, b) at ((b * lq + i) * hq + h) * dv + d.
  std::vector<float> permuted(static_cast<size_t>(c.dv * c.hq * c.lq * c.batch));
  ggml_backend_tensor_get(result, permuted.data(), 0, permuted.size() * sizeof(float));

  auto* o = static_cast<float*>(out.o);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.hq; ++h)
      for (int64_t i = 0; i < c.lq; ++i)
        std::memcpy(o + ((b * c.hq + h) * c.lq + i) * c.dv, permuted.data() + ((b * c.lq + i) * c.hq + h) * c.dv,
                    static_cast<size_t>(c.dv) * sizeof(float));
  return FC_STATUS_OK;
}

void write_message(fc_output& out, const std::string& message) {
  if (out.error && out.error_size > 0) std::snprintf(out.error, out.error_size, "%s", message.c_str());
}

}  // namespace

int run_flash_attn_ext(const fc_case& c, fc_output& out, ggml_backend_t backend) {
  try {
    if (!backend) throw Refusal{FC_STATUS_ERROR, "no ggml backend"};
    return compute(c, out, backend);
  } catch (const Refusal& r) {
    write_message(out, r.message);
    return r.status;
  } catch (const std::exception& e) {
    write_message(out, std::string("ggml adapter: ") + e.what());
    return FC_STATUS_ERROR;
  }
}

}  // namespace flashcheck::ggml_subject
