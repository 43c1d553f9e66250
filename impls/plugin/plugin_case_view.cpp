#include "impls/plugin/plugin_case_view.hpp"

#include <array>
#include <limits>
#include <optional>
#include <string>

namespace flashcheck::plugin {
namespace {

constexpr size_t kErrorBytes = 4096;

constexpr std::array<std::pair<DType, fc_dtype>, 3> kDtypes{{
    {DType::f32, FC_DTYPE_F32}, {DType::f16, FC_DTYPE_F16}, {DType::bf16, FC_DTYPE_BF16}}};
constexpr std::array<std::pair<MaskKind, fc_mask_kind>, 4> kMasks{{{MaskKind::none, FC_MASK_NONE},
                                                                   {MaskKind::causal, FC_MASK_CAUSAL},
                                                                   {MaskKind::window, FC_MASK_WINDOW},
                                                                   {MaskKind::explicit_only, FC_MASK_EXPLICIT_ONLY}}};

int32_t fc_dtype_of(DType t) {
  for (const auto& [ours, theirs] : kDtypes)
    if (ours == t) return theirs;
  return -1;  // unreachable: every DType has a row
}

int32_t fc_mask_of(MaskKind k) {
  for (const auto& [ours, theirs] : kMasks)
    if (ours == k) return theirs;
  return -1;
}

fc_tensor view_of(const Tensor& t) {
  fc_tensor v{};
  v.dtype = fc_dtype_of(t.dtype);
  for (int d = 0; d < 4; ++d) {
    v.shape[d] = t.shape[static_cast<size_t>(d)];
    v.strides[d] = t.strides[static_cast<size_t>(d)];
  }
  v.data = t.data();
  return v;
}

fc_quantized_kv quantized_view_of(const QuantizedKv& q) {
  fc_quantized_kv v{};
  v.scheme = q.scheme.c_str();
  v.layout = q.layout == KvRowLayout::aos ? FC_KV_AOS : FC_KV_SOA;
  v.hadamard = q.hadamard ? 1 : 0;
  v.batch = q.batch;
  v.heads = q.heads;
  v.tokens = q.tokens;
  v.dim = q.dim;
  v.row_bytes = q.row_bytes;
  v.bytes = q.bytes.data();
  return v;
}

}  // namespace

SubjectRun run_subject(const fc_subject& s, bool fills_lse, const AttentionCase& c, int32_t n_threads) {
  const CaseShape& sh = c.shape;
  const std::vector<float> bias = c.materialized_mask();
  std::optional<fc_tensor> mask;
  if (c.mask) mask = view_of(*c.mask);
  std::optional<fc_quantized_kv> k_quant, v_quant;
  if (c.k_quant) k_quant = quantized_view_of(*c.k_quant);
  if (c.v_quant) v_quant = quantized_view_of(*c.v_quant);

  fc_case fc{};
  fc.struct_size = sizeof(fc_case);
  fc.n_threads = n_threads;
  fc.batch = sh.batch;
  fc.hq = sh.hq;
  fc.hkv = sh.hkv;
  fc.lq = sh.lq;
  fc.lk = sh.lk;
  fc.dk = sh.dk;
  fc.dv = sh.dv;
  fc.q = view_of(c.q);
  fc.k = view_of(c.k);
  fc.v = view_of(c.v);
  fc.k_quant = k_quant ? &*k_quant : nullptr;
  fc.v_quant = v_quant ? &*v_quant : nullptr;
  fc.scale = c.scale;
  fc.max_bias = c.max_bias;
  fc.softcap = c.softcap;
  fc.mask_kind = fc_mask_of(c.mask_kind);
  fc.window = c.window;
  fc.mask = mask ? &*mask : nullptr;
  fc.bias = bias.data();
  fc.sinks = c.has_sinks() ? c.sinks.data() : nullptr;
  fc.o_dtype = fc_dtype_of(c.o_type);

  SubjectRun result;
  result.o = Tensor::make(c.o_type, {sh.batch, sh.hq, sh.lq, sh.dv});
  // NaN marks LSE values the plugin did not write, so a forgotten row cannot pass.
  result.lse.assign(static_cast<size_t>(sh.batch * sh.hq * sh.lq), std::numeric_limits<float>::quiet_NaN());
  std::vector<char> error(kErrorBytes, '\0');
  fc_output out{};
  out.struct_size = sizeof(fc_output);
  out.o = result.o.data();
  out.lse = result.lse.data();
  out.error = error.data();
  out.error_size = error.size();

  const int status = s.run(&fc, &out);
  error.back() = '\0';  // a plugin that filled the buffer to the end still gives a C string
  result.message = error.data();
  if (!fills_lse) result.lse.clear();
  switch (status) {
    case FC_STATUS_OK: result.status = wire::Reply::ok; break;
    case FC_STATUS_UNSUPPORTED: result.status = wire::Reply::unsupported; break;
    case FC_STATUS_ERROR: result.status = wire::Reply::error; break;
    default:
      result.status = wire::Reply::error;
      result.message = "run returned " + std::to_string(status) + ", which is no fc_status" +
                       (result.message.empty() ? "" : ": " + result.message);
  }
  if (result.status != wire::Reply::ok && result.message.empty())
    result.message = result.status == wire::Reply::error ? "the plugin returned FC_STATUS_ERROR without a message"
                                                         : "the plugin declined the case without saying why";
  return result;
}

}  // namespace flashcheck::plugin
