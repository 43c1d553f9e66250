// Writes the seed corpora of fuzz_attention and fuzz_case_decoder as binary case records:
//   write_case_seeds <corpus dir>    (the repository's corpus/)
// -> <corpus dir>/fuzz_attention/seeds/*.fcase      one small recipe per case family, a few raw cases
//    <corpus dir>/fuzz_case_decoder/valid/*.fcase   records the decoder must accept
//    <corpus dir>/fuzz_case_decoder/invalid/*.fcase truncated and corrupted records it must reject
// Deterministic: the same build writes the same bytes, so rerunning it after a format
// change shows the change in the diff.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/case_codec.hpp"
#include "core/generator.hpp"
#include "fuzz/attention_fuzz_case.hpp"

namespace flashcheck::fuzz {
namespace {

namespace fs = std::filesystem;

struct Seed {
  std::string file;  // without extension
  CaseRecord record;
};

// The base of most seeds: small enough for thousands of executions a second.
CaseRecipe small_recipe(const std::string& distribution, const std::string& mask, DType kv_type) {
  CaseRecipe r;
  r.shape = {1, 2, 1, 4, 33, 32, 32};
  r.q_type = DType::f32;
  r.k_type = r.v_type = kv_type;
  r.o_type = DType::f32;
  r.distribution = distribution;
  r.mask = mask;
  r.window = 5;
  r.seed = 7;
  return r;
}

Seed recipe_seed(const std::string& name, const CaseRecipe& r, const std::string& what) {
  return {"recipe-" + name, {r, {"seed-" + name, what + ": " + describe(r), {}}}};
}

Seed raw_seed(const std::string& name, AttentionCase c, const std::string& what) {
  return {"raw-" + name, {std::move(c), {"seed-raw-" + name, what, {}}}};
}

std::vector<Seed> attention_seeds() {
  std::vector<Seed> seeds;
  const auto masks = all_mask_patterns();
  constexpr DType kTypes[] = {DType::f32, DType::f16, DType::bf16};
  size_t n = 0;
  for (const Distribution& d : all_distributions()) {  // every distribution under two mask patterns
    for (int k = 0; k < 2; ++k, ++n) {
      const std::string mask(masks[n % masks.size()].name);
      const DType t = kTypes[n % 3];
      const std::string name = fmt::format("{}-{}-{}", d.name, mask, dtype_name(t));
      seeds.push_back(recipe_seed(name, small_recipe(std::string(d.name), mask, t), "distribution x mask family"));
    }
  }
  for (const std::string& scheme : kv_scheme_names()) {  // every quantized KV scheme, AoS and SoA
    for (KvRowLayout layout : {KvRowLayout::aos, KvRowLayout::soa}) {
      CaseRecipe r = small_recipe("normal", "causal", DType::f16);
      r.k_quant = r.v_quant = scheme;
      r.kv_layout = layout;
      seeds.push_back(recipe_seed(fmt::format("normal-causal-kv-{}-{}", scheme, kv_row_layout_name(layout)), r,
                                  "quantized K and V"));
    }
  }
  {
    CaseRecipe r = small_recipe("normal", "causal", DType::f16);
    r.k_quant = "ggml_q8_0";
    r.hadamard = true;
    seeds.push_back(recipe_seed("normal-causal-k-ggml_q8_0-hadamard", r, "Hadamard-rotated quantized K"));
    r.k_quant = r.v_quant = "mxfp4_e2m1";
    r.kv_layout = KvRowLayout::soa;
    seeds.push_back(recipe_seed("normal-causal-kv-mxfp4_e2m1-soa-hadamard", r, "Hadamard-rotated MX K, SoA rows"));
  }
  {
    CaseRecipe r = small_recipe("uniform", "none", DType::f16);
    r.v_quant = "mxfp8_e4m3";
    r.v_nan_scale = true;
    seeds.push_back(recipe_seed("uniform-none-v-mxfp8_e4m3-nan-scale", r, "an E8M0 NaN scale in V"));
  }
  const auto variant = [&](const std::string& name, const std::string& what, auto change) {
    CaseRecipe r = small_recipe("normal", "causal", DType::f16);
    change(r);
    seeds.push_back(recipe_seed(name, r, what));
  };
  variant("normal-none-sinks", "attention sinks", [](CaseRecipe& r) { r.mask = "none"; r.sinks = true; });
  variant("normal-causal-alibi", "ALiBi over four heads", [](CaseRecipe& r) { r.max_bias = 8.0f; r.shape.hq = 4; });
  variant("large_scores-none-softcap", "logit soft-capping of large scores",
          [](CaseRecipe& r) { r.distribution = "large_scores"; r.mask = "none"; r.softcap = 50.0f; });
  variant("normal-causal-gqa-4x1", "grouped-query attention, 4 query heads per KV head",
          [](CaseRecipe& r) { r.shape.hq = 4; r.shape.hkv = 1; });
  variant("normal-causal-gqa-4x2", "grouped-query attention, 2 KV heads",
          [](CaseRecipe& r) { r.shape.hq = 4; r.shape.hkv = 2; });
  variant("normal-causal-decode-lk96", "decode: one query against 96 keys",
          [](CaseRecipe& r) { r.shape.lq = 1; r.shape.lk = 96; r.shape.dk = r.shape.dv = 64; });
  variant("normal-causal-prefill-8x8", "prefill: 8 queries, 8 keys", [](CaseRecipe& r) { r.shape.lq = r.shape.lk = 8; });
  variant("normal-masked_rows-fully-masked", "fully masked query rows",
          [](CaseRecipe& r) { r.mask = "masked_rows"; r.shape.lq = 8; });
  variant("normal-window-3", "sliding window of 3 keys", [](CaseRecipe& r) { r.mask = "window"; r.window = 3; });
  variant("normal-causal-seq_major-batch2", "seq-major layout, two batch entries",
          [](CaseRecipe& r) { r.layout = Layout::seq_major; r.shape.batch = 2; });
  variant("normal-causal-padded_rows", "padded rows", [](CaseRecipe& r) { r.layout = Layout::padded_rows; });
  variant("normal-causal-o-f16", "f16 output", [](CaseRecipe& r) { r.o_type = DType::f16; });
  variant("normal-causal-bf16-all", "bf16 Q, K, V and O",
          [](CaseRecipe& r) { r.q_type = r.k_type = r.v_type = r.o_type = DType::bf16; });
  variant("normal-causal-dk64-dv32", "Dk != Dv", [](CaseRecipe& r) { r.shape.dk = 64; r.shape.dv = 32; });
  variant("normal-tile_edges-lk65", "tile-edge columns hidden", [](CaseRecipe& r) { r.mask = "tile_edges"; r.shape.lk = 65; });
  variant("normal-none-lk16", "one 16-key tile exactly", [](CaseRecipe& r) { r.mask = "none"; r.shape.lk = 16; });
  variant("normal-none-lk17", "one key past a 16-key tile", [](CaseRecipe& r) { r.mask = "none"; r.shape.lk = 17; });
  variant("normal-causal-lk64-lq1", "decode at a 64-key tile edge", [](CaseRecipe& r) { r.shape.lk = 64; r.shape.lq = 1; });

  // Raw cases: the bits themselves, for the value-level mutations.
  seeds.push_back(raw_seed("normal-causal-f16", generate(small_recipe("normal", "causal", DType::f16)),
                           "generated normal/causal case stored raw"));
  seeds.push_back(raw_seed("special-random-f16", generate(small_recipe("special", "random", DType::f16)),
                           "+-0, subnormals, and inf/NaN in K/V at hidden keys, stored raw"));
  {
    CaseRecipe r = small_recipe("normal", "causal", DType::f16);
    r.k_quant = "ggml_q4_0";
    r.v_quant = "mxfp6_e3m2";
    seeds.push_back(raw_seed("normal-causal-k-q4_0-v-mxfp6_e3m2", generate(r), "quantized K and V stored raw"));
  }
  {
    AttentionCase c = generate(small_recipe("uniform", "none", DType::f32));
    c.mask = Tensor::make(DType::f32, {1, 1, c.shape.lq, c.shape.lk});
    c.mask_kind = MaskKind::explicit_only;
    for (int64_t j = 0; j < c.shape.lk; ++j) c.mask->set(0, 0, 1, j, -std::numeric_limits<double>::infinity());
    c.mask->set(0, 0, 2, 0, -3.0e38);
    c.sinks.assign(static_cast<size_t>(c.shape.hq), -2.0f);
    seeds.push_back(raw_seed("uniform-explicit-masked-row-sinks", std::move(c),
                             "row 1 fully masked, a large negative finite mask entry, sinks"));
  }
  return seeds;
}

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Every seed must be one fuzz_attention runs: a record of valid, small, defined cases.
void check_attention_seed(const Seed& s, const std::vector<uint8_t>& bytes) {
  const DecodeResult d = decode_case_record(bytes, attention_decode_limits());
  if (!d.record) throw std::runtime_error(s.file + ": rejected under the fuzzing limits: " + d.error);
  const AttentionCase c = materialize(*d.record);
  if (const std::string p = shape_limit_problem(c.shape); !p.empty()) throw std::runtime_error(s.file + ": " + p);
  if (const std::string p = oracle_definedness_problem(c); !p.empty()) throw std::runtime_error(s.file + ": " + p);
}

int write_all(const fs::path& corpus) {
  const std::vector<Seed> seeds = attention_seeds();
  size_t total = 0;
  for (const Seed& s : seeds) {
    const std::vector<uint8_t> bytes = encode_case_record(s.record);
    check_attention_seed(s, bytes);
    write_bytes(corpus / "fuzz_attention" / "seeds" / (s.file + ".fcase"), bytes);
    total += bytes.size();
  }
  // The decoder's corpus: a spread of valid records, and damaged copies of two of them.
  const fs::path decoder = corpus / "fuzz_case_decoder";
  size_t decoder_files = 0;
  for (size_t i = 0; i < seeds.size(); i += 4, ++decoder_files)
    write_bytes(decoder / "valid" / (seeds[i].file + ".fcase"), encode_case_record(seeds[i].record));
  for (const Seed& s : {seeds.front(), seeds.back()}) {
    const std::vector<uint8_t> good = encode_case_record(s.record);
    const auto damaged = [&](const std::string& what, auto change) {
      std::vector<uint8_t> b = good;
      change(b);
      write_bytes(decoder / "invalid" / (what + "-" + s.file + ".fcase"), b);
      ++decoder_files;
    };
    damaged("truncated-half", [](std::vector<uint8_t>& b) { b.resize(b.size() / 2); });
    damaged("truncated-header", [](std::vector<uint8_t>& b) { b.resize(std::min<size_t>(b.size(), 12)); });
    damaged("corrupt-middle-byte", [](std::vector<uint8_t>& b) { b[b.size() / 2] ^= 0x5a; });
    damaged("corrupt-last-byte", [](std::vector<uint8_t>& b) { b.back() ^= 0x01; });
    damaged("bad-magic", [](std::vector<uint8_t>& b) { b[0] = 'X'; });
    damaged("newer-version", [](std::vector<uint8_t>& b) { b[8] = 0x7f; });
    damaged("trailing-byte", [](std::vector<uint8_t>& b) { b.push_back(0); });
  }
  std::printf("%zu fuzz_attention seeds (%zu bytes), %zu fuzz_case_decoder seeds under %s\n", seeds.size(), total,
              decoder_files, corpus.string().c_str());
  return 0;
}

}  // namespace
}  // namespace flashcheck::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n  writes the seed corpora of fuzz_attention and fuzz_case_decoder\n",
                 argv[0]);
    return 2;
  }
  try {
    return flashcheck::fuzz::write_all(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
