#include "impls/cpu_simd/neon_request.hpp"

#include <cstring>
#include <stdexcept>

#include "impls/cpu_simd/kernel_view.hpp"

namespace flashcheck::cpu_simd {
namespace {

void put_tensor(wire::Writer& w, const Tensor& t) {
  w.put(static_cast<uint8_t>(elem_type(t.dtype)));
  for (int64_t s : t.shape) w.put(s);
  for (int64_t s : t.strides) w.put(s);
  w.put(static_cast<uint64_t>(t.storage.size()));
  w.put_bytes(t.storage.data(), t.storage.size());
}

void put_floats(wire::Writer& w, std::span<const float> values) {
  for (float x : values) w.put(x);
}

}  // namespace

std::vector<std::byte> encode_attention_request(const AttentionCase& c, wire::Arithmetic arithmetic) {
  const CaseShape& s = c.shape;
  wire::Writer w;
  w.put_bytes(wire::kAttentionMagic, sizeof wire::kAttentionMagic);
  w.put(static_cast<uint8_t>(arithmetic));
  for (int64_t dim : {s.batch, s.hq, s.hkv, s.lq, s.lk, s.dk, s.dv}) w.put(dim);
  w.put(static_cast<uint8_t>(structural_mask(c.mask_kind)));
  w.put(c.window);
  w.put(c.scale);
  w.put(c.softcap);
  w.put(static_cast<uint8_t>(elem_type(c.o_type)));
  const uint8_t flags =
      static_cast<uint8_t>((c.mask ? wire::kFlagExplicitMask : 0) | (c.uses_alibi() ? wire::kFlagAlibi : 0) |
                           (c.has_sinks() ? wire::kFlagSinks : 0));
  w.put(flags);
  put_tensor(w, c.q);
  put_tensor(w, c.k);
  put_tensor(w, c.v);
  if (c.mask) put_tensor(w, *c.mask);
  if (c.uses_alibi()) {
    std::vector<float> slopes;
    for (int64_t h = 0; h < s.hq; ++h) slopes.push_back(c.slope(h));
    put_floats(w, slopes);
  }
  if (c.has_sinks()) put_floats(w, c.sinks);
  return w.bytes();
}

RunOutput decode_attention_response(wire::Reader& payload, const AttentionCase& c) {
  const CaseShape& s = c.shape;
  const auto o_type = payload.get<uint8_t>("o_type");
  const auto rows = payload.get<uint64_t>("rows");
  const auto dv = payload.get<uint64_t>("dv");
  if (o_type != static_cast<uint8_t>(elem_type(c.o_type)) || rows != static_cast<uint64_t>(s.batch * s.hq * s.lq) ||
      dv != static_cast<uint64_t>(s.dv))
    throw std::runtime_error("the NEON runner answered for another output shape or type");
  RunOutput out;
  out.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});  // contiguous, as the runner writes it
  std::memcpy(out.o.data(), payload.take(out.o.storage.size(), "O"), out.o.storage.size());
  out.lse.resize(rows);
  std::memcpy(out.lse.data(), payload.take(rows * sizeof(float), "LSE"), rows * sizeof(float));
  if (!payload.at_end()) throw std::runtime_error("trailing bytes in the NEON runner's response");
  return out;
}

std::vector<std::byte> encode_function_request(std::span<const float> x) {
  wire::Writer w;
  w.put_bytes(wire::kFunctionMagic, sizeof wire::kFunctionMagic);
  w.put(static_cast<uint64_t>(x.size()));
  put_floats(w, x);
  return w.bytes();
}

std::vector<float> decode_function_response(wire::Reader& payload, size_t count) {
  if (payload.get<uint64_t>("count") != count) throw std::runtime_error("the NEON runner answered for another count");
  std::vector<float> y(count);
  std::memcpy(y.data(), payload.take(count * sizeof(float), "values"), count * sizeof(float));
  return y;
}

}  // namespace flashcheck::cpu_simd
