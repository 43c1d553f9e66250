// Decodes every MXFP4 element code under every E8M0 scale code on a ggml backend
// (ggml_get_rows of block_mxfp4 rows into f32: the device-side dequantizer on CUDA) and
// compares each value with OCP MX v1.0's (fp4_e2m1 value times 2^(scale - 127), NaN for
// scale 0xFF), rounded once to f32. Prints each difference in %a and decimal; zeros of
// the wrong sign are only counted.
//
//   flashcheck-ggml-mxfp4 cpu|cuda
//
// Exit status: 0 when all 256 x 16 values equal OCP's, 1 when some differ, 2 on error.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"
#ifdef FLASHCHECK_GGML_WITH_CUDA
#include "ggml-cuda.h"
#endif
#include "oracle/formats/element_codec.hpp"
#include "oracle/formats/element_format.hpp"

namespace {

constexpr int kScales = 256;
constexpr int kBlock = 32;                    // QK_MXFP4
constexpr int kBlockBytes = 1 + kBlock / 2;   // block_mxfp4: e, then 16 bytes of two codes
constexpr int kRowBlocks = 8;                 // rows of 256 values: CUDA's get_rows needs ne0 % QK_K == 0
constexpr int kRows = kScales / kRowBlocks;

// Element code at position i of every block: low nibbles hold 0..15 (positions 0..15),
// high nibbles 15..0 (positions 16..31), so each block holds all 16 codes twice.
uint8_t code_at(int i) { return static_cast<uint8_t>(i < 16 ? i : 31 - i); }

std::vector<uint8_t> all_blocks() {
  std::vector<uint8_t> bytes(static_cast<size_t>(kScales * kBlockBytes));
  for (int s = 0; s < kScales; ++s) {
    uint8_t* b = bytes.data() + s * kBlockBytes;
    b[0] = static_cast<uint8_t>(s);
    for (int j = 0; j < 16; ++j) b[1 + j] = static_cast<uint8_t>(code_at(j) | (code_at(j + 16) << 4));
  }
  return bytes;
}

ggml_backend_t make_backend(std::string_view name) {
  if (name == "cpu") return ggml_backend_cpu_init();
#ifdef FLASHCHECK_GGML_WITH_CUDA
  if (name == "cuda") return ggml_backend_cuda_get_device_count() > 0 ? ggml_backend_cuda_init(0) : nullptr;
#endif
  return nullptr;
}

struct Freer {
  void operator()(ggml_context* c) const { ggml_free(c); }
  void operator()(ggml_backend* b) const { ggml_backend_free(b); }
  void operator()(ggml_backend_buffer* b) const { ggml_backend_buffer_free(b); }
};

bool same(float got, float want) {
  if (std::isnan(want)) return std::isnan(got);
  return got == want;  // the sign of a zero is counted apart (zero_sign)
}

bool zero_sign(float got, float want) { return got == 0.0f && want == 0.0f && std::signbit(got) != std::signbit(want); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s cpu|cuda\n", argv[0]);
    return 2;
  }
  const std::unique_ptr<ggml_backend, Freer> backend(make_backend(argv[1]));
  if (!backend) {
    std::fprintf(stderr, "no ggml backend '%s' in this build or on this machine\n", argv[1]);
    return 2;
  }
  const ggml_init_params p{ggml_tensor_overhead() * 8 + ggml_graph_overhead(), nullptr, true};
  const std::unique_ptr<ggml_context, Freer> ctx(ggml_init(p));
  ggml_tensor* blocks = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_MXFP4, kRowBlocks * kBlock, kRows);
  ggml_tensor* rows = ggml_new_tensor_1d(ctx.get(), GGML_TYPE_I32, kRows);
  ggml_tensor* values = ggml_get_rows(ctx.get(), blocks, rows);
  if (!ggml_backend_supports_op(backend.get(), values)) {
    std::fprintf(stderr, "ggml backend %s does not support get_rows from mxfp4\n", ggml_backend_name(backend.get()));
    return 2;
  }
  ggml_cgraph* graph = ggml_new_graph(ctx.get());
  ggml_build_forward_expand(graph, values);
  const std::unique_ptr<ggml_backend_buffer, Freer> buffer(ggml_backend_alloc_ctx_tensors(ctx.get(), backend.get()));
  if (!buffer) {
    std::fprintf(stderr, "allocation failed\n");
    return 2;
  }
  const std::vector<uint8_t> bytes = all_blocks();
  std::vector<int32_t> row_ids(kRows);
  for (int r = 0; r < kRows; ++r) row_ids[static_cast<size_t>(r)] = r;
  ggml_backend_tensor_set(blocks, bytes.data(), 0, bytes.size());
  ggml_backend_tensor_set(rows, row_ids.data(), 0, row_ids.size() * sizeof(int32_t));
  if (ggml_backend_graph_compute(backend.get(), graph) != GGML_STATUS_SUCCESS) {
    std::fprintf(stderr, "ggml_backend_graph_compute failed\n");
    return 2;
  }
  std::vector<float> got(static_cast<size_t>(kScales * kBlock));
  ggml_backend_tensor_get(values, got.data(), 0, got.size() * sizeof(float));

  const flashcheck::formats::ElementFormat& e8m0 = flashcheck::formats::element_format("e8m0");
  const flashcheck::formats::ElementFormat& e2m1 = flashcheck::formats::element_format("fp4_e2m1");
  int differ = 0;
  int zero_signs = 0;  // ggml's kvalues_mxfp4 holds 0 for E2M1's -0 (code 0x8)
  bool scale_differs[kScales] = {};
  for (int s = 0; s < kScales; ++s)
    for (int j = 0; j < 16; ++j) {  // each code once (positions 16..31 repeat them)
      const uint8_t code = code_at(j);
      const double exact =
          flashcheck::formats::decode(e2m1, code) * flashcheck::formats::decode(e8m0, static_cast<uint8_t>(s));
      const auto want = static_cast<float>(exact);
      const float value = got[static_cast<size_t>(s * kBlock + j)];
      const float twin = got[static_cast<size_t>(s * kBlock + 31 - j)];
      zero_signs += zero_sign(value, want) ? 1 : 0;
      if (same(value, want) && same(twin, want)) continue;
      ++differ;
      scale_differs[s] = true;
      std::printf("scale 0x%02x code 0x%x: %s %a (%.9g), OCP %a (%.9g)\n", s, code, ggml_backend_name(backend.get()),
                  static_cast<double>(value), static_cast<double>(value), static_cast<double>(want),
                  static_cast<double>(want));
    }
  std::printf("RESULT: %d of %d values differ from OCP MX on %s; scales:", differ, kScales * 16,
              ggml_backend_name(backend.get()));
  for (int s = 0; s < kScales; ++s)
    if (scale_differs[s]) std::printf(" 0x%02x", s);
  std::printf("\nzeros of the wrong sign (not counted above): %d\n", zero_signs);
  return differ == 0 ? 0 : 1;
}
