// The aarch64 side of cpu-neon / cpu-neon-fp16: a static executable (run under
// qemu-user on x86 hosts) that reads one request file in the protocol of
// wire_format.hpp, runs the kernel on the raw storage it carries and writes the
// response file.
#include <asm/hwcap.h>
#include <sys/auxv.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "impls/cpu_simd/kernel_args.hpp"
#include "impls/cpu_simd/neon/neon_kernels.hpp"
#include "impls/cpu_simd/neon/wire_format.hpp"

namespace flashcheck::cpu_simd {
namespace {

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
  return bytes;
}

void write_file(const std::string& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

wire::Writer response_header(wire::Status status, const std::string& message) {
  wire::Writer w;
  w.put_bytes(wire::kResponseMagic, sizeof wire::kResponseMagic);
  w.put(static_cast<uint8_t>(status));
  w.put(static_cast<uint64_t>(message.size()));
  w.put_bytes(message.data(), message.size());
  return w;
}

bool has_fp16_arithmetic() {
  const unsigned long caps = getauxval(AT_HWCAP);
  return (caps & HWCAP_FPHP) != 0 && (caps & HWCAP_ASIMDHP) != 0;
}

// A tensor of the request: its header, and its bytes kept alive in storage.
struct ReceivedTensor {
  StridedTensor view;
  int64_t shape[4];
  std::vector<std::byte> storage;
};

ElemType checked_type(uint8_t t, const char* what) {
  if (t >= kElemTypeCount) throw std::runtime_error(std::string("unknown element type for ") + what);
  return static_cast<ElemType>(t);
}

ReceivedTensor read_tensor(wire::Reader& r, const char* what, const int64_t (&expected)[4]) {
  ReceivedTensor t;
  t.view.type = checked_type(r.get<uint8_t>(what), what);
  for (int64_t& s : t.shape) s = r.get<int64_t>(what);
  for (int64_t& s : t.view.strides) s = r.get<int64_t>(what);
  const auto bytes = r.get<uint64_t>(what);
  const std::byte* p = r.take(bytes, what);
  t.storage.assign(p, p + bytes);
  t.view.data = t.storage.data();
  // Every element the kernel may address must lie inside the bytes received.
  int64_t last = 0;
  for (int d = 0; d < 4; ++d) {
    if (t.shape[d] != expected[d] || t.view.strides[d] < 0)
      throw std::runtime_error(std::string("shape or strides of ") + what + " do not match the header");
    last += (t.shape[d] - 1) * t.view.strides[d];
  }
  if ((last + 1) * kElemBytes[static_cast<int>(t.view.type)] > static_cast<int64_t>(bytes))
    throw std::runtime_error(std::string(what) + " storage is smaller than its strides address");
  return t;
}

std::vector<float> read_floats(wire::Reader& r, int64_t n, const char* what) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = r.get<float>(what);
  return v;
}

std::vector<std::byte> run_attention(const std::vector<std::byte>& request, MaxReduction reduction) {
  wire::Reader r(request.data(), request.size());
  r.expect_magic(wire::kAttentionMagic, "an attention request");
  const auto arithmetic = static_cast<wire::Arithmetic>(r.get<uint8_t>("arithmetic"));
  KernelArgs a{};
  for (int64_t* dim : {&a.batch, &a.hq, &a.hkv, &a.lq, &a.lk, &a.dk, &a.dv}) *dim = r.get<int64_t>("shape");
  if (a.batch < 1 || a.hq < 1 || a.hkv < 1 || a.lq < 1 || a.lk < 1 || a.dk < 1 || a.dv < 1 || a.hq % a.hkv != 0)
    throw std::runtime_error("invalid shape in the request");
  const auto structural = r.get<uint8_t>("mask kind");
  if (structural > 2) throw std::runtime_error("unknown structural mask");
  a.structural = static_cast<StructuralMask>(structural);
  a.window = r.get<int64_t>("window");
  a.scale = r.get<float>("scale");
  a.softcap = r.get<float>("softcap");
  a.o.type = checked_type(r.get<uint8_t>("o_type"), "O");
  const auto flags = r.get<uint8_t>("flags");

  const ReceivedTensor q = read_tensor(r, "Q", {a.batch, a.hq, a.lq, a.dk});
  const ReceivedTensor k = read_tensor(r, "K", {a.batch, a.hkv, a.lk, a.dk});
  const ReceivedTensor v = read_tensor(r, "V", {a.batch, a.hkv, a.lk, a.dv});
  a.q = q.view;
  a.k = k.view;
  a.v = v.view;
  ReceivedTensor mask;
  if (flags & wire::kFlagExplicitMask) {
    mask = read_tensor(r, "mask", {1, 1, a.lq, a.lk});
    a.mask_data = mask.view.data;
    a.mask_type = mask.view.type;
    a.mask_strides[0] = mask.view.strides[2];
    a.mask_strides[1] = mask.view.strides[3];
  }
  const std::vector<float> slopes = flags & wire::kFlagAlibi ? read_floats(r, a.hq, "slopes") : std::vector<float>{};
  const std::vector<float> sinks = flags & wire::kFlagSinks ? read_floats(r, a.hq, "sinks") : std::vector<float>{};
  if (!r.at_end()) throw std::runtime_error("trailing bytes after the request");
  a.slopes = slopes.empty() ? nullptr : slopes.data();
  a.sinks = sinks.empty() ? nullptr : sinks.data();
  a.max_reduction = reduction;

  const int64_t rows = a.batch * a.hq * a.lq;
  const int64_t o_bytes = kElemBytes[static_cast<int>(a.o.type)];
  std::vector<std::byte> o(static_cast<size_t>(rows * a.dv * o_bytes));
  std::vector<float> lse(static_cast<size_t>(rows));
  a.o.data = o.data();
  a.o.strides[0] = a.hq * a.lq * a.dv;
  a.o.strides[1] = a.lq * a.dv;
  a.o.strides[2] = a.dv;
  a.o.strides[3] = 1;
  a.lse = lse.data();

  const auto padded = [](int64_t n) { return static_cast<size_t>((n + 15) / 16 * 16); };
  if (arithmetic == wire::Arithmetic::fp32) {
    std::vector<float> q_row(padded(a.dk)), acc(padded(a.dv));
    neon_attention_rows(a, 0, rows, q_row.data(), acc.data());
  } else if (arithmetic == wire::Arithmetic::fp16) {
    if (!has_fp16_arithmetic()) throw std::runtime_error("this CPU has no fp16 arithmetic (asimdhp)");
    std::vector<__fp16> q_row(padded(a.dk)), acc(padded(a.dv));
    neon_fp16_attention_rows(a, 0, rows, q_row.data(), acc.data());
  } else {
    throw std::runtime_error("unknown arithmetic in the request");
  }

  wire::Writer w = response_header(wire::Status::ok, "");
  w.put(static_cast<uint8_t>(a.o.type));
  w.put(static_cast<uint64_t>(rows));
  w.put(static_cast<uint64_t>(a.dv));
  w.put_bytes(o.data(), o.size());
  w.put_bytes(lse.data(), lse.size() * sizeof(float));
  return w.bytes();
}

using VectorFn = void (*)(const float*, float*, int64_t);

std::vector<std::byte> run_function(const std::vector<std::byte>& request, VectorFn fn) {
  wire::Reader r(request.data(), request.size());
  r.expect_magic(wire::kFunctionMagic, "a function request");
  const auto n = static_cast<int64_t>(r.get<uint64_t>("count"));
  const std::vector<float> x = read_floats(r, n, "arguments");
  std::vector<float> y(x.size());
  fn(x.data(), y.data(), n);
  wire::Writer w = response_header(wire::Status::ok, "");
  w.put(static_cast<uint64_t>(n));
  w.put_bytes(y.data(), y.size() * sizeof(float));
  return w.bytes();
}

std::vector<std::byte> run_features() {
  const std::string names = has_fp16_arithmetic() ? "asimd asimdhp" : "asimd";
  wire::Writer w = response_header(wire::Status::ok, "");
  w.put(static_cast<uint64_t>(names.size()));
  w.put_bytes(names.data(), names.size());
  return w.bytes();
}

int usage() {
  std::fprintf(stderr,
               "usage: flashcheck_neon_runner [--max-lane0 | --exp | --tanh | --features] <request> <response>\n");
  return 2;
}

}  // namespace
}  // namespace flashcheck::cpu_simd

int main(int argc, char** argv) {
  using namespace flashcheck::cpu_simd;
  if (argc != 3 && argc != 4) return usage();
  const std::string mode = argc == 4 ? argv[1] : "";
  const std::string request_path = argv[argc - 2], response_path = argv[argc - 1];
  try {
    std::vector<std::byte> response;
    if (mode == "--features") {
      response = run_features();
    } else {
      const std::vector<std::byte> request = read_file(request_path);
      if (mode.empty())
        response = run_attention(request, MaxReduction::all_lanes);
      else if (mode == "--max-lane0")
        response = run_attention(request, MaxReduction::lane0);
      else if (mode == "--exp")
        response = run_function(request, &neon_exp);
      else if (mode == "--tanh")
        response = run_function(request, &neon_tanh);
      else
        return usage();
    }
    write_file(response_path, response);
    return 0;
  } catch (const std::exception& e) {
    // The error travels in the response; the exit status says whether it got there.
    try {
      write_file(response_path, response_header(wire::Status::error, e.what()).bytes());
    } catch (const std::exception& write_error) {
      std::fprintf(stderr, "flashcheck_neon_runner: %s (and %s)\n", e.what(), write_error.what());
      return 1;
    }
    return 0;
  }
}
