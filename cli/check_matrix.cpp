#include "cli/check_matrix.hpp"

#include <array>

#include <fmt/format.h>

#include "cli/recipe_flags.hpp"

namespace flashcheck::cli {
namespace {

// One matrix row. The sizes keep the whole default run within about a minute on
// two cores: the oracle costs roughly B*Hq*Lq*Lk*(Dk+Dv) double-double steps, so
// only decode rows get long keys. Lengths avoid multiples of 16/32/64 on purpose
// so kernels hit their partial-tile paths.
struct Spec {
  CaseShape shape;
  const char* distribution;
  const char* mask;
  int64_t window = 0;
  DType q = DType::f32, k = DType::f16, v = DType::f16, o = DType::f32;
  float softcap = 0.0f;
  float max_bias = 0.0f;
  bool sinks = false;
  Layout layout = Layout::contiguous;
  const char* k_quant = "";  // block-quantized K / V (core/quantized_kv.hpp)
  const char* v_quant = "";
  KvRowLayout kv_layout = KvRowLayout::aos;
  bool hadamard = false;
  bool v_nan_scale = false;  // one V block's E8M0 scale set to 0xFF (NaN), see CaseRecipe
  bool quick = false;  // also in the --quick subset
  bool rules = false;  // the absolute rules run on it too (small cases with masks: they rerun the subject)
};

constexpr CaseShape shape(int64_t batch, int64_t hq, int64_t hkv, int64_t lq, int64_t lk, int64_t dk, int64_t dv) {
  return CaseShape{batch, hq, hkv, lq, lk, dk, dv};
}

using enum DType;

const Spec kSpecs[] = {
    // decode: one query row against a long cache (Lq < Lk, so the causal offset matters)
    {.shape = shape(1, 4, 4, 1, 1, 64, 64), .distribution = "normal", .mask = "none", .quick = true},
    {.shape = shape(1, 8, 8, 1, 4097, 128, 128), .distribution = "uniform", .mask = "none"},
    {.shape = shape(2, 8, 2, 1, 4097, 128, 128), .distribution = "normal", .mask = "causal"},
    {.shape = shape(1, 8, 2, 1, 1000, 64, 64), .distribution = "peaked", .mask = "window", .window = 256},
    {.shape = shape(1, 8, 2, 1, 513, 128, 128), .distribution = "large_scores", .mask = "none", .q = f16, .o = f16},
    {.shape = shape(1, 8, 2, 1, 300, 64, 64), .distribution = "special", .mask = "random", .quick = true},
    {.shape = shape(1, 8, 8, 1, 113, 64, 64), .distribution = "flat", .mask = "none", .sinks = true},
    {.shape = shape(1, 8, 2, 1, 777, 64, 64), .distribution = "huge_scores", .mask = "causal"},
    {.shape = shape(1, 4, 4, 1, 200, 64, 64), .distribution = "normal", .mask = "none", .q = bf16, .k = bf16,
     .v = bf16, .o = bf16},
    {.shape = shape(1, 8, 2, 1, 1024, 192, 128), .distribution = "same_sign_v", .mask = "none"},
    {.shape = shape(1, 4, 4, 1, 4097, 64, 64), .distribution = "normal", .mask = "none", .q = f16, .k = bf16},
    {.shape = shape(1, 8, 8, 1, 16384, 128, 128), .distribution = "normal", .mask = "none"},
    {.shape = shape(1, 8, 2, 1, 640, 64, 64), .distribution = "large_v", .mask = "causal", .o = f16,
     .layout = Layout::seq_major},

    // prefill: many query rows, Lq < Lk where the mask is causal
    {.shape = shape(1, 8, 2, 64, 113, 64, 64), .distribution = "normal", .mask = "causal", .quick = true,
     .rules = true},
    {.shape = shape(1, 4, 4, 128, 128, 128, 128), .distribution = "uniform", .mask = "causal"},
    {.shape = shape(1, 8, 2, 300, 1031, 128, 128), .distribution = "normal", .mask = "causal"},
    {.shape = shape(2, 4, 4, 257, 257, 64, 64), .distribution = "uniform", .mask = "window", .window = 129},
    {.shape = shape(1, 8, 2, 64, 113, 128, 128), .distribution = "flat", .mask = "causal"},
    {.shape = shape(1, 4, 4, 96, 160, 64, 64), .distribution = "peaked", .mask = "random"},
    {.shape = shape(1, 8, 2, 96, 160, 64, 64), .distribution = "large_scores", .mask = "masked_tiles"},
    {.shape = shape(1, 2, 2, 64, 96, 64, 64), .distribution = "large_scores", .mask = "masked_tiles", .quick = true},
    {.shape = shape(1, 4, 4, 32, 64, 64, 64), .distribution = "huge_scores", .mask = "none"},
    {.shape = shape(1, 4, 2, 48, 80, 64, 64), .distribution = "huge_scores", .mask = "causal", .q = f16, .o = f16},
    {.shape = shape(1, 2, 2, 16, 4097, 64, 64), .distribution = "same_sign_v", .mask = "none"},
    {.shape = shape(1, 4, 4, 64, 100, 64, 64), .distribution = "same_sign_v", .mask = "causal", .o = bf16},
    {.shape = shape(1, 4, 4, 64, 100, 128, 128), .distribution = "large_v", .mask = "causal", .o = f16},
    {.shape = shape(1, 4, 2, 40, 72, 64, 64), .distribution = "large_v", .mask = "none", .q = bf16, .k = bf16,
     .v = bf16, .o = bf16},
    {.shape = shape(1, 8, 2, 50, 90, 64, 64), .distribution = "special", .mask = "causal", .quick = true},
    {.shape = shape(1, 4, 4, 64, 96, 64, 64), .distribution = "special", .mask = "masked_rows"},
    {.shape = shape(1, 4, 2, 64, 113, 64, 64), .distribution = "special", .mask = "window", .window = 20,
     .layout = Layout::padded_rows},
    {.shape = shape(1, 4, 4, 64, 96, 64, 64), .distribution = "normal", .mask = "masked_rows"},
    {.shape = shape(1, 4, 2, 80, 113, 64, 64), .distribution = "normal", .mask = "tile_edges", .quick = true,
     .rules = true},
    {.shape = shape(3, 4, 2, 17, 33, 64, 64), .distribution = "uniform", .mask = "tile_edges"},
    {.shape = shape(1, 4, 4, 100, 200, 64, 64), .distribution = "uniform", .mask = "window", .window = 32},
    {.shape = shape(1, 4, 4, 16, 1, 64, 64), .distribution = "normal", .mask = "none"},

    // options: soft-capping, ALiBi (including a non-power-of-two head count), sinks
    {.shape = shape(1, 8, 2, 64, 113, 64, 64), .distribution = "normal", .mask = "causal", .softcap = 30.0f},
    {.shape = shape(1, 4, 4, 64, 64, 128, 128), .distribution = "large_scores", .mask = "none", .softcap = 50.0f},
    {.shape = shape(1, 8, 8, 64, 96, 64, 64), .distribution = "normal", .mask = "causal", .max_bias = 8.0f},
    {.shape = shape(1, 12, 4, 32, 80, 64, 64), .distribution = "uniform", .mask = "none", .max_bias = 8.0f},
    {.shape = shape(1, 8, 2, 64, 113, 64, 64), .distribution = "normal", .mask = "causal", .sinks = true,
     .quick = true},
    {.shape = shape(1, 4, 4, 48, 48, 64, 64), .distribution = "peaked", .mask = "none", .sinks = true},

    // layouts, head dimensions and storage types
    {.shape = shape(1, 8, 2, 64, 113, 64, 64), .distribution = "normal", .mask = "causal",
     .layout = Layout::seq_major},
    {.shape = shape(1, 4, 4, 64, 96, 64, 64), .distribution = "uniform", .mask = "random",
     .layout = Layout::padded_rows},
    {.shape = shape(1, 8, 2, 33, 200, 192, 128), .distribution = "normal", .mask = "none"},
    {.shape = shape(1, 4, 4, 64, 64, 192, 128), .distribution = "flat", .mask = "causal", .q = bf16, .o = bf16},
    {.shape = shape(1, 4, 4, 64, 80, 64, 64), .distribution = "normal", .mask = "none", .k = f32, .v = f32},
    {.shape = shape(1, 4, 4, 64, 96, 128, 128), .distribution = "uniform", .mask = "causal", .q = f16, .o = f16},
    {.shape = shape(1, 4, 4, 64, 128, 64, 64), .distribution = "normal", .mask = "window", .window = 48, .q = bf16,
     .k = bf16, .v = bf16, .o = bf16},
    // quantized KV: every block scheme, both row layouts, Hadamard-rotated K (appended last so
    // the seeds of the rows above stay what they were)
    {.shape = shape(1, 8, 2, 1, 1000, 128, 128), .distribution = "normal", .mask = "none", .k_quant = "ggml_q8_0",
     .v_quant = "ggml_q8_0"},
    {.shape = shape(1, 4, 2, 64, 113, 64, 64), .distribution = "normal", .mask = "causal", .k_quant = "ggml_q4_0",
     .v_quant = "ggml_q8_0", .quick = true, .rules = true},
    {.shape = shape(1, 8, 2, 1, 500, 64, 64), .distribution = "uniform", .mask = "causal", .k_quant = "ggml_mxfp4",
     .v_quant = "ggml_mxfp4"},
    {.shape = shape(1, 4, 2, 48, 100, 64, 64), .distribution = "normal", .mask = "causal", .k_quant = "mxfp8_e4m3",
     .v_quant = "mxfp6_e2m3", .kv_layout = KvRowLayout::soa, .hadamard = true, .quick = true},
    {.shape = shape(1, 4, 4, 1, 777, 128, 128), .distribution = "large_scores", .mask = "none",
     .k_quant = "mxfp6_e3m2", .v_quant = "mxfp4_e2m1", .kv_layout = KvRowLayout::soa, .hadamard = true},
    {.shape = shape(1, 4, 4, 64, 96, 64, 64), .distribution = "uniform", .mask = "masked_tiles",
     .k_quant = "mxfp8_e5m2", .v_quant = "mxfp8_e4m3", .kv_layout = KvRowLayout::soa},

    // The quick plan's kill cases: with the rows above marked quick, every seeded bug of
    // docs/mutants.md fails at least one of them (the kill table, props/test_kill_table.cpp).
    // Small shapes: the quick plan runs on every subject and every mutant.
    {.shape = shape(1, 4, 2, 4, 256, 64, 64), .distribution = "same_sign_v", .mask = "random", .q = f16, .o = f32,
     .quick = true},  // 16-bit softmax statistics and accumulators drift
    {.shape = shape(1, 4, 4, 16, 80, 64, 64), .distribution = "normal", .mask = "window", .window = 24,
     .quick = true, .rules = true},  // a -inf initial maximum under finite math
    {.shape = shape(1, 4, 4, 16, 48, 64, 64), .distribution = "normal", .mask = "random", .max_bias = 8.0f,
     .quick = true, .rules = true},  // ALiBi slope times a -inf mask
    {.shape = shape(1, 4, 4, 64, 96, 64, 64), .distribution = "normal", .mask = "masked_rows", .quick = true,
     .rules = true},  // all-masked split-KV chunks
    {.shape = shape(2, 4, 2, 1, 300, 64, 64), .distribution = "normal", .mask = "causal",
     .quick = true},  // several pages per sequence, several split-KV chunks
    {.shape = shape(1, 4, 2, 24, 200, 64, 64), .distribution = "large_scores", .mask = "causal",
     .quick = true},  // exp overflows with a wrong running maximum
    {.shape = shape(1, 4, 2, 64, 200, 64, 64), .distribution = "normal", .mask = "tile_edges",
     .quick = true},  // a KV tile masked only at its last key
    {.shape = shape(1, 4, 2, 8, 64, 64, 64), .distribution = "normal", .mask = "none", .k_quant = "mxfp8_e4m3",
     .v_quant = "mxfp8_e4m3", .kv_layout = KvRowLayout::soa, .quick = true},  // SoA scales of two KV heads
    {.shape = shape(1, 2, 2, 8, 64, 64, 64), .distribution = "normal", .mask = "none", .k_quant = "ggml_q4_0",
     .v_quant = "ggml_q4_0", .quick = true},  // nibble order
    {.shape = shape(1, 2, 2, 8, 64, 64, 64), .distribution = "normal", .mask = "none", .k_quant = "mxfp8_e4m3",
     .v_quant = "mxfp8_e4m3", .quick = true},  // AoS MX scales (the setrows write path)
    {.shape = shape(1, 2, 2, 8, 64, 64, 64), .distribution = "normal", .mask = "none", .k_quant = "mxfp8_e4m3",
     .v_quant = "mxfp8_e4m3", .kv_layout = KvRowLayout::soa, .v_nan_scale = true,
     .quick = true},  // the NaN E8M0 scale 0xFF
};

// splitmix64: neighbouring base seeds and positions give unrelated case seeds.
uint64_t mix_seed(uint64_t base, uint64_t index) {
  uint64_t z = base + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

CaseRecipe to_recipe(const Spec& s, uint64_t seed) {
  CaseRecipe r;
  r.shape = s.shape;
  r.q_type = s.q;
  r.k_type = s.k;
  r.v_type = s.v;
  r.o_type = s.o;
  r.distribution = s.distribution;
  r.mask = s.mask;
  r.window = s.window;
  r.softcap = s.softcap;
  r.max_bias = s.max_bias;
  r.sinks = s.sinks;
  r.layout = s.layout;
  r.k_quant = s.k_quant;
  r.v_quant = s.v_quant;
  r.kv_layout = s.kv_layout;
  r.hadamard = s.hadamard;
  r.v_nan_scale = s.v_nan_scale;
  r.seed = seed;
  return r;
}

std::vector<MatrixEntry> build(uint64_t base_seed, bool quick_only) {
  std::vector<MatrixEntry> out;
  uint64_t index = 0;
  for (const Spec& s : kSpecs) {
    const uint64_t seed = mix_seed(base_seed, index++);
    if (quick_only && !s.quick) continue;
    CaseRecipe r = to_recipe(s, seed);
    out.push_back({family_label(r), std::move(r), s.rules});
  }
  return out;
}

}  // namespace

std::vector<MatrixEntry> default_matrix(uint64_t base_seed) { return build(base_seed, false); }
std::vector<MatrixEntry> quick_matrix(uint64_t base_seed) { return build(base_seed, true); }

std::string family_label(const CaseRecipe& r) {
  const CaseRecipe defaults;
  std::vector<std::string> tags;
  if (r.shape.hq != r.shape.hkv) tags.push_back(fmt::format("gqa{}", r.shape.gqa_ratio()));
  if (r.shape.batch > 1) tags.push_back(fmt::format("b{}", r.shape.batch));
  tags.push_back(r.shape.dk == r.shape.dv ? fmt::format("d{}", r.shape.dk)
                                          : fmt::format("d{}x{}", r.shape.dk, r.shape.dv));
  tags.push_back(fmt::format("lk{}", r.shape.lk));
  if (r.softcap > 0.0f) tags.emplace_back("softcap");
  if (r.max_bias > 0.0f) tags.emplace_back("alibi");
  if (r.sinks) tags.emplace_back("sinks");
  if (r.layout != Layout::contiguous) tags.push_back(layout_name(r.layout));
  const std::pair<const char*, DType> types[] = {{"q", r.q_type}, {"k", r.k_type}, {"v", r.v_type}, {"o", r.o_type}};
  const DType default_types[] = {defaults.q_type, defaults.k_type, defaults.v_type, defaults.o_type};
  for (size_t i = 0; i < std::size(types); ++i)
    if (types[i].second != default_types[i]) tags.push_back(fmt::format("{}={}", types[i].first, dtype_name(types[i].second)));
  if (!r.k_quant.empty()) tags.push_back("kq=" + r.k_quant);
  if (!r.v_quant.empty()) tags.push_back("vq=" + r.v_quant);
  if (!r.k_quant.empty() || !r.v_quant.empty()) tags.emplace_back(kv_row_layout_name(r.kv_layout));
  if (r.hadamard) tags.emplace_back("hadamard");
  if (r.v_nan_scale) tags.emplace_back("v-nan-scale");
  std::string label = fmt::format("{}/{}/{}", r.shape.lq == 1 ? "decode" : "prefill", r.distribution, r.mask);
  std::string joined;
  for (const auto& t : tags) joined += (joined.empty() ? "" : ",") + t;
  return label + " (" + joined + ")";
}

}  // namespace flashcheck::cli
