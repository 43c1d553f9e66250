// Case files: every AttentionCase survives case_to_json -> text -> case_from_json bit
// for bit (generated, quantized, special values, strided storage with padding);
// malformed JSON is rejected naming the field; files are written atomically; failure
// artifacts are named and never overwrite another file.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/case_file_naming.hpp"
#include "core/case_json.hpp"
#include "core/generator.hpp"
#include "props/support/counterexample.hpp"
#include "props/support/random_recipe.hpp"
#include "props/support/scratch_dir.hpp"

namespace flashcheck {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------------ comparison

std::string tensor_difference(const Tensor& a, const Tensor& b, const std::string& name) {
  if (a.dtype != b.dtype) return fmt::format("{}: dtype {} vs {}", name, dtype_name(a.dtype), dtype_name(b.dtype));
  if (a.shape != b.shape) return name + ": shape differs";
  if (a.strides != b.strides) return name + ": strides differ";
  if (a.storage.size() != b.storage.size())
    return fmt::format("{}: {} vs {} storage bytes", name, a.storage.size(), b.storage.size());
  for (size_t i = 0; i < a.storage.size(); ++i)
    if (a.storage[i] != b.storage[i])
      return fmt::format("{}: storage byte {} is {:02x} vs {:02x}", name, i, std::to_integer<int>(a.storage[i]),
                         std::to_integer<int>(b.storage[i]));
  return "";
}

std::string optional_tensor_difference(const std::optional<Tensor>& a, const std::optional<Tensor>& b,
                                       const std::string& name) {
  if (a.has_value() != b.has_value()) return name + ": present in one case only";
  return a ? tensor_difference(*a, *b, name) : "";
}

std::string quantized_difference(const std::optional<QuantizedKv>& a, const std::optional<QuantizedKv>& b,
                                 const std::string& name) {
  if (a.has_value() != b.has_value()) return name + ": present in one case only";
  if (!a) return "";
  if (a->scheme != b->scheme || a->layout != b->layout || a->hadamard != b->hadamard) return name + ": scheme differs";
  if (a->batch != b->batch || a->heads != b->heads || a->tokens != b->tokens || a->dim != b->dim ||
      a->row_bytes != b->row_bytes)
    return name + ": geometry differs";
  if (a->bytes != b->bytes) return name + ": bytes differ";
  return tensor_difference(a->source, b->source, name + " source");
}

bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

// Empty when the cases are equal bit for bit; otherwise the first difference.
std::string case_difference(const AttentionCase& a, const AttentionCase& b) {
  if (a.family != b.family) return fmt::format("family '{}' vs '{}'", a.family, b.family);
  if (a.seed != b.seed) return "seed differs";
  const CaseShape &s = a.shape, &t = b.shape;
  if (s.batch != t.batch || s.hq != t.hq || s.hkv != t.hkv || s.lq != t.lq || s.lk != t.lk || s.dk != t.dk ||
      s.dv != t.dv)
    return "shape differs";
  if (a.q_type != b.q_type || a.k_type != b.k_type || a.v_type != b.v_type || a.o_type != b.o_type)
    return "dtypes differ";
  if (!same_bits(a.scale, b.scale)) return fmt::format("scale {:a} vs {:a}", a.scale, b.scale);
  if (a.mask_kind != b.mask_kind || a.window != b.window) return "mask kind or window differs";
  if (!same_bits(a.max_bias, b.max_bias) || !same_bits(a.softcap, b.softcap)) return "max_bias or softcap differs";
  if (a.sinks.size() != b.sinks.size()) return "sink count differs";
  for (size_t i = 0; i < a.sinks.size(); ++i)
    if (!same_bits(a.sinks[i], b.sinks[i])) return fmt::format("sink {} differs", i);
  for (const std::string& d :
       {tensor_difference(a.q, b.q, "Q"), tensor_difference(a.k, b.k, "K"), tensor_difference(a.v, b.v, "V"),
        optional_tensor_difference(a.mask, b.mask, "mask"), quantized_difference(a.k_quant, b.k_quant, "k_quant"),
        quantized_difference(a.v_quant, b.v_quant, "v_quant"),
        optional_tensor_difference(a.rotated_q, b.rotated_q, "rotated_q")})
    if (!d.empty()) return d;
  return "";
}

// Through text, as a file holds it.
AttentionCase round_trip(const AttentionCase& c) { return case_from_json(json::parse(case_to_json(c).dump())); }

// ------------------------------------------------------------------ cases

CaseRecipe small_recipe(uint64_t seed = 11) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 3, .lk = 9, .dk = 8, .dv = 8};
  r.mask = "causal";
  r.seed = seed;
  return r;
}

CaseRecipe quantized_recipe() {
  CaseRecipe r = small_recipe();
  r.shape.dk = r.shape.dv = 32;
  r.k_quant = "mxfp8_e4m3";
  r.v_quant = "mxfp6_e2m3";
  r.kv_layout = KvRowLayout::soa;
  r.hadamard = true;
  r.v_nan_scale = true;
  r.sinks = true;
  return r;
}

// Stores raw bits into storage element `index` (not a logical index: padding counts).
void put_word(Tensor& t, size_t index, uint32_t word) {
  const size_t size = traits(t.dtype).size;
  if (size == 2) {
    const auto h = static_cast<uint16_t>(word);
    std::memcpy(t.storage.data() + index * 2, &h, 2);
  } else {
    std::memcpy(t.storage.data() + index * 4, &word, 4);
  }
}

json valid_json() { return case_to_json(generate(quantized_recipe())); }

// ------------------------------------------------------------------ scratch files

using test::ScratchDir;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// ------------------------------------------------------------------ round trips

RC_GTEST_PROP(CaseJsonRoundTrip, GeneratedCasesSurviveBitForBit, ()) {
  testing::RecipeSpace space;
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  space.softcaps = {0.0f, 20.0f};
  space.max_biases = {0.0f, 8.0f};
  space.scales = {0.5f, 1e-3f};
  const AttentionCase c = generate(testing::random_recipe(space));
  const std::string difference = case_difference(c, round_trip(c));
  RC_ASSERT(difference.empty());
}

RC_GTEST_PROP(CaseJsonRoundTrip, QuantizedKvSurvivesBitForBit, ()) {
  const CaseRecipe r = testing::random_quantized_recipe();
  RC_PRE(!r.k_quant.empty() || !r.v_quant.empty());
  const AttentionCase c = generate(r);
  const std::string difference = case_difference(c, round_trip(c));
  RC_ASSERT(difference.empty());
}

// Arbitrary storage bits everywhere a case allows them (padding included) and arbitrary
// finite scalars: NaN payloads, -0, subnormals and infinities all come through.
RC_GTEST_PROP(CaseJsonRoundTrip, ArbitraryBitsSurvive, ()) {
  testing::RecipeSpace space;
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  space.masks = {"random", "masked_rows", "tile_edges"};  // explicit masks
  space.distributions = {"normal"};
  AttentionCase c = generate(testing::random_recipe(space));
  auto scramble = [](Tensor& t) {
    const size_t words = t.storage.size() / traits(t.dtype).size;
    const auto count = *rc::gen::inRange<size_t>(0, words + 1);
    for (size_t n = 0; n < count; ++n)
      put_word(t, *rc::gen::inRange<size_t>(0, words), *rc::gen::arbitrary<uint32_t>());
  };
  scramble(c.q);
  scramble(c.k);
  scramble(c.v);
  if (c.mask) scramble(*c.mask);
  auto finite_float = [](bool non_negative) {
    const auto bits = *rc::gen::suchThat(rc::gen::arbitrary<uint32_t>(), [](uint32_t b) {
      return std::isfinite(std::bit_cast<float>(b));
    });
    return std::bit_cast<float>(non_negative ? bits & 0x7FFFFFFFu : bits);
  };
  c.scale = finite_float(false);
  c.softcap = finite_float(true);
  c.max_bias = finite_float(true);
  for (float& s : c.sinks) s = finite_float(false);
  c.family = *rc::gen::container<std::string>(rc::gen::inRange<char>(' ', 127));
  c.seed = *rc::gen::arbitrary<uint64_t>();
  const std::string difference = case_difference(c, round_trip(c));
  RC_ASSERT(difference.empty());
}

TEST(CaseJson, SpecialValuesAreStoredAsRawWords) {
  AttentionCase c = generate(small_recipe());
  c.q = Tensor::make(DType::f32, c.q.shape, Layout::padded_rows);
  c.k = Tensor::make(DType::bf16, c.k.shape);
  c.q_type = DType::f32;
  c.k_type = DType::bf16;
  // Signalling NaN with payload, quiet negative NaN with payload, -0, smallest subnormal, +-inf.
  const std::vector<uint32_t> f32_words{0x7fa00001u, 0xffc00123u, 0x80000000u, 0x00000001u, 0x7f800000u, 0xff800000u};
  for (size_t i = 0; i < f32_words.size(); ++i) put_word(c.q, i, f32_words[i]);
  put_word(c.q, 8, 0xdeadbeefu);  // a padding element (row 0 has Dk = 8 values, then 3 unused)
  const std::vector<uint32_t> bf16_words{0x7f81u, 0xffc1u, 0x8000u, 0x0001u, 0x7f80u, 0xff80u};
  for (size_t i = 0; i < bf16_words.size(); ++i) put_word(c.k, i, bf16_words[i]);
  c.mask = Tensor::make(DType::f16, {1, 1, c.shape.lq, c.shape.lk});
  put_word(*c.mask, 0, 0xfc00u);  // -inf
  put_word(*c.mask, 1, 0x7e01u);  // NaN with payload
  put_word(*c.mask, 2, 0x8001u);  // negative subnormal
  c.sinks = {-0.0f, std::bit_cast<float>(0x00000001u), 1.5f, -3.0f};
  c.scale = -0.0f;
  ASSERT_EQ(validate(c), "");

  const json j = case_to_json(c);
  EXPECT_TRUE(j["q"]["bits"].get<std::string>().starts_with("7fa00001 ffc00123 80000000 00000001 7f800000 ff800000"));
  EXPECT_NE(j["q"]["bits"].get<std::string>().find("deadbeef"), std::string::npos);
  EXPECT_TRUE(j["k"]["bits"].get<std::string>().starts_with("7f81 ffc1 8000 0001 7f80 ff80"));
  EXPECT_TRUE(j["mask"]["bits"].get<std::string>().starts_with("fc00 7e01 8001"));
  EXPECT_EQ(j["scale"], "-0x0p+0");
  EXPECT_EQ(j["sinks"], json::array({"-0x0p+0", "0x1p-149", "0x1.8p+0", "-0x1.8p+1"}));
  EXPECT_EQ(case_difference(c, round_trip(c)), "");
}

TEST(CaseJson, DocumentHasFormatVersionAndEveryField) {
  const json j = valid_json();
  EXPECT_EQ(j["format"], "flashcheck-case-json");
  EXPECT_EQ(j["version"], 1);
  for (const char* key : {"family", "seed", "shape", "dtypes", "scale", "mask_kind", "window", "max_bias", "softcap",
                          "q", "k", "v", "mask", "sinks", "k_quant", "v_quant", "rotated_q"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["k_quant"]["scheme"], "mxfp8_e4m3");
  EXPECT_EQ(j["k_quant"]["layout"], "soa");
  EXPECT_EQ(j["k_quant"]["hadamard"], true);
  EXPECT_TRUE(j["rotated_q"].is_object());
  EXPECT_TRUE(j["mask"].is_null());
}

TEST(CaseJson, NanScalarsKeepTheirBitsInTheDocument) {
  AttentionCase c = generate(small_recipe());
  c.softcap = std::bit_cast<float>(0xffc00123u);
  EXPECT_EQ(case_to_json(c)["softcap"], "nan:ffc00123");
}

TEST(CaseJson, TensorStorageMustBeWholeElements) {
  AttentionCase c = generate(small_recipe());
  c.v.storage.emplace_back();  // one stray byte after the f16 elements
  try {
    case_to_json(c);
    FAIL() << "an odd storage size was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("V storage"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------ rejections

struct Malformed {
  const char* what;
  std::function<void(json&)> spoil;
  std::vector<std::string> message_parts;
};

std::vector<Malformed> malformed_documents() {
  return {
      {"not an object", [](json& j) { j = json::array(); }, {"(top level)", "must be an object"}},
      {"wrong format", [](json& j) { j["format"] = "something-else"; }, {"'format'", "something-else"}},
      {"unknown version", [](json& j) { j["version"] = 2; }, {"'version'", "unknown version 2"}},
      {"negative version", [](json& j) { j["version"] = -1; }, {"'version'", "unknown version -1"}},
      {"version as text", [](json& j) { j["version"] = "1"; }, {"'version'", "unknown version"}},
      {"missing field", [](json& j) { j.erase("softcap"); }, {"'softcap'", "missing"}},
      {"missing nested field", [](json& j) { j["shape"].erase("lk"); }, {"'shape.lk'", "missing"}},
      {"unknown field", [](json& j) { j["sofcap"] = "0x0p+0"; }, {"'sofcap'", "unknown field"}},
      {"unknown nested field", [](json& j) { j["q"]["layout"] = "contiguous"; }, {"'q.layout'", "unknown field"}},
      {"seed as text", [](json& j) { j["seed"] = "7"; }, {"'seed'", "unsigned integer", "string"}},
      {"negative seed", [](json& j) { j["seed"] = -7; }, {"'seed'", "negative"}},
      {"dimension as float", [](json& j) { j["shape"]["hq"] = 4.0; }, {"'shape.hq'", "integer"}},
      {"dimension out of range", [](json& j) { j["shape"]["lk"] = uint64_t{1} << 63; }, {"'shape.lk'", "outside"}},
      {"bad dtype name", [](json& j) { j["dtypes"]["o"] = "f64"; }, {"'dtypes.o'", "unknown dtype 'f64'", "bf16"}},
      {"bad tensor dtype", [](json& j) { j["q"]["dtype"] = 32; }, {"'q.dtype'", "must be a string"}},
      {"short shape", [](json& j) { j["q"]["shape"].erase(3); }, {"'q.shape'", "4 integers"}},
      {"negative stride", [](json& j) { j["v"]["strides"][2] = -1; }, {"'v.strides[2]'", "outside"}},
      {"wrong element count",
       [](json& j) { j["q"]["storage_elements"] = j["q"]["storage_elements"].get<int64_t>() - 1; },
       {"'q.bits'", "storage_elements"}},
      {"bad hex word",
       [](json& j) {
         std::string bits = j["q"]["bits"];
         bits[3] = 'g';
         j["q"]["bits"] = bits;
       },
       {"'q.bits'", "bad hex digit 'g' in word 0"}},
      {"words not separated by one space",
       [](json& j) {
         std::string bits = j["q"]["bits"];
         bits[8] = ',';
         j["q"]["bits"] = bits;
       },
       {"'q.bits'", "word 1"}},
      {"strides beyond storage", [](json& j) { j["v"]["strides"][2] = 1 << 20; }, {"'v.strides'", "reach element"}},
      {"huge broadcast shape",
       [](json& j) {
         j["q"]["shape"] = json::array({1 << 20, 1 << 20, 1, 1});
         j["q"]["strides"] = json::array({0, 0, 0, 0});
       },
       {"'q.shape'", "2^28"}},
      {"scale as decimal", [](json& j) { j["scale"] = "0.125"; }, {"'scale'", "hex-float", "0x prefix"}},
      {"scale as number", [](json& j) { j["scale"] = 0.125; }, {"'scale'", "must be a string"}},
      {"scale beyond f32", [](json& j) { j["scale"] = "0x1.000001p+0"; }, {"'scale'", "not exactly representable"}},
      {"scale with junk", [](json& j) { j["scale"] = "0x1p-3 "; }, {"'scale'", "unreadable"}},
      {"NaN text that is no NaN", [](json& j) { j["max_bias"] = "nan:3f800000"; }, {"'max_bias'", "not a NaN"}},
      {"short NaN bits", [](json& j) { j["max_bias"] = "nan:7fc"; }, {"'max_bias'", "8 hex digits"}},
      {"bad mask kind", [](json& j) { j["mask_kind"] = "diagonal"; }, {"'mask_kind'", "unknown mask kind 'diagonal'"}},
      {"sinks not an array", [](json& j) { j["sinks"] = "0x1p+0"; }, {"'sinks'", "must be an array"}},
      {"bad sink", [](json& j) { j["sinks"][1] = true; }, {"'sinks[1]'", "must be a string"}},
      {"odd byte hex",
       [](json& j) { j["k_quant"]["bytes"] = j["k_quant"]["bytes"].get<std::string>() + "0"; },
       {"'k_quant.bytes'", "two per byte"}},
      {"bad byte hex",
       [](json& j) {
         std::string bytes = j["v_quant"]["bytes"];
         bytes[5] = 'x';
         j["v_quant"]["bytes"] = bytes;
       },
       {"'v_quant.bytes'", "bad hex digit 'x' at position 5"}},
      {"bytes of the wrong length",
       [](json& j) { j["k_quant"]["row_bytes"] = j["k_quant"]["row_bytes"].get<int64_t>() + 1; },
       {"'k_quant.bytes'", "batch * tokens * row_bytes"}},
      {"unknown block scheme", [](json& j) { j["k_quant"]["scheme"] = "q9_9"; }, {"'k_quant.scheme'", "q9_9"}},
      {"unknown row layout", [](json& j) { j["k_quant"]["layout"] = "aosoa"; }, {"'k_quant.layout'", "aosoa"}},
      {"hadamard as text", [](json& j) { j["k_quant"]["hadamard"] = "yes"; }, {"'k_quant.hadamard'", "true or false"}},
      {"quantized source malformed", [](json& j) { j["v_quant"]["source"]["dtype"] = "f8"; },
       {"'v_quant.source.dtype'", "f8"}},
      {"tensor not an object", [](json& j) { j["rotated_q"] = 3; }, {"'rotated_q'", "must be an object"}},
      {"case that fails validation", [](json& j) { j["shape"]["hkv"] = 3; }, {"invalid case", "multiple of Hkv"}},
      {"dequantized K that is not K's bytes",
       [](json& j) {
         std::string bits = j["k"]["bits"];
         bits.replace(0, 8, bits.substr(0, 8) == "3f800000" ? "40000000" : "3f800000");
         j["k"]["bits"] = bits;
       },
       {"invalid case", "K does not hold the dequantized values"}},
      {"rotated Q dropped", [](json& j) { j["rotated_q"] = nullptr; }, {"invalid case", "rotated_q"}},
  };
}

TEST(CaseJsonRejects, EachMalformedDocumentWithItsFieldAndProblem) {
  for (const Malformed& m : malformed_documents()) {
    json j = valid_json();
    m.spoil(j);
    try {
      case_from_json(j);
      ADD_FAILURE() << m.what << ": accepted";
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      for (const std::string& part : m.message_parts)
        EXPECT_NE(message.find(part), std::string::npos) << m.what << ": '" << message << "' lacks '" << part << "'";
    } catch (const std::exception& e) {
      ADD_FAILURE() << m.what << ": threw something other than std::invalid_argument: " << e.what();
    }
  }
}

TEST(CaseJson, MetadataIsIgnoredOnRead) {
  json j = valid_json();
  j["metadata"] = {{"backend", "cpu-scalar"}, {"anything", json::array({1, 2})}};
  EXPECT_EQ(case_difference(case_from_json(j), generate(quantized_recipe())), "");
}

// Picks a path into the document and replaces what is there, in place.
void mutate_in_place(json& doc) {
  json* node = &doc;
  for (;;) {
    if (!(node->is_object() || node->is_array()) || node->empty() || *rc::gen::inRange(0, 3) == 0) break;
    if (node->is_array()) {
      node = &(*node)[*rc::gen::inRange<size_t>(0, node->size())];
      continue;
    }
    std::vector<std::string> keys;
    for (auto it = node->begin(); it != node->end(); ++it) keys.push_back(it.key());
    const std::string key = *rc::gen::elementOf(keys);
    if (*rc::gen::inRange(0, 5) == 0) {
      node->erase(key);
      return;
    }
    node = &(*node)[key];
  }
  static const std::vector<json> replacements{nullptr, 0,  -1,   1,           uint64_t{1} << 63, 1e300,
                                              "x",     "", "f16", "0x1p+0", "nan:7fc00000",   true,
                                              json::array(), json::object(), json::array({1, 2, 3, 4})};
  *node = *rc::gen::elementOf(replacements);
}

RC_GTEST_PROP(CaseJsonRejects, DamagedDocumentsNeverCrashOrPassInvalidCases, ()) {
  static const json original = case_to_json(generate(quantized_recipe()));
  json j = original;
  const int mutations = *rc::gen::inRange(1, 4);
  for (int n = 0; n < mutations; ++n) mutate_in_place(j);
  try {
    const AttentionCase c = case_from_json(j);
    RC_ASSERT(validate(c).empty());
  } catch (const std::invalid_argument& e) {
    RC_ASSERT(std::string(e.what()).find("case JSON") == 0);
  }
}

// ------------------------------------------------------------------ files

TEST(CaseFile, SaveAndLoadRoundTripWithMetadata) {
  ScratchDir dir;
  const AttentionCase c = generate(quantized_recipe());
  const std::string path = dir.file("case.json");
  save_case_file(path, c, {{"backend", "cpu-scalar"}, {"reason", "testing"}});
  EXPECT_EQ(case_difference(c, load_case_file(path)), "");
  const json doc = json::parse(read_text(path));
  EXPECT_EQ(doc["metadata"]["backend"], "cpu-scalar");
  EXPECT_EQ(doc["metadata"]["reason"], "testing");
  EXPECT_EQ(read_text(path), case_file_text(c, {{"backend", "cpu-scalar"}, {"reason", "testing"}}));
  EXPECT_EQ(dir.names(), std::vector<std::string>{"case.json"});  // no temporary file left behind
}

TEST(CaseFile, SavingReplacesAnExistingFileWhole) {
  ScratchDir dir;
  const std::string path = dir.file("case.json");
  write_text(path, std::string(1 << 20, 'x'));  // longer than the case: nothing of it may remain
  const AttentionCase c = generate(small_recipe());
  save_case_file(path, c, nullptr);
  EXPECT_EQ(case_difference(c, load_case_file(path)), "");
  EXPECT_EQ(json::parse(read_text(path))["metadata"], json::object());
  EXPECT_EQ(dir.names(), std::vector<std::string>{"case.json"});
}

TEST(CaseFile, MetadataMustBeAnObject) {
  EXPECT_THROW(case_file_text(generate(small_recipe()), json::array({1})), std::invalid_argument);
}

TEST(CaseFile, LoadErrorsNameThePath) {
  ScratchDir dir;
  auto expect_error = [](const std::string& path, auto type_tag, const std::string& part) {
    using Error = decltype(type_tag);
    try {
      load_case_file(path);
      ADD_FAILURE() << path << " loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'" + path + "'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error(dir.file("missing.json"), std::runtime_error(""), "cannot open");
  expect_error(dir.path().string(), std::runtime_error(""), "is a directory");
  write_text(dir.file("truncated.json"), case_file_text(generate(small_recipe()), nullptr).substr(0, 200));
  expect_error(dir.file("truncated.json"), std::invalid_argument(""), "not valid JSON");
  json spoiled = case_to_json(generate(small_recipe()));
  spoiled["dtypes"]["q"] = "f64";
  write_text(dir.file("spoiled.json"), spoiled.dump());
  expect_error(dir.file("spoiled.json"), std::invalid_argument(""), "'dtypes.q'");
}

TEST(CaseFile, SavingIntoAMissingDirectoryFailsNamingThePath) {
  ScratchDir dir;
  const std::string path = dir.file("no-such-dir/case.json");
  try {
    save_case_file(path, generate(small_recipe()), nullptr);
    FAIL() << "saved into a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(CaseFile, AtomicWriteWithoutOverwriteKeepsAnExistingFile) {
  ScratchDir dir;
  const std::string path = dir.file("kept.txt");
  EXPECT_TRUE(write_file_atomically(path, "first", false));
  EXPECT_FALSE(write_file_atomically(path, "second", false));
  EXPECT_EQ(read_text(path), "first");
  EXPECT_TRUE(write_file_atomically(path, "third", true));
  EXPECT_EQ(read_text(path), "third");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"kept.txt"});
}

// ------------------------------------------------------------------ naming

TEST(CaseFileNaming, SlugsKeepLowerCaseLettersDigitsAndUnderscores) {
  EXPECT_EQ(file_name_slug("cpu-scalar@gqa-head-modulo", "x"), "cpu-scalar-gqa-head-modulo");
  EXPECT_EQ(file_name_slug("normal/causal", "x"), "normal-causal");
  EXPECT_EQ(file_name_slug("  Prefill/Large_V (gqa2,d64) ", "x"), "prefill-large_v-gqa2-d64");
  EXPECT_EQ(file_name_slug("../..", "case"), "case");
  EXPECT_EQ(file_name_slug(std::string(100, 'a'), "x"), std::string(48, 'a'));
}

TEST(CaseFileNaming, ContentHashIsFoldedFnv1a) {
  // FNV-1a 64 of "" is the offset basis; of "a" the published value 0xaf63dc4c8601ec8c.
  EXPECT_EQ(content_hash8(""), fmt::format("{:08x}", 0xcbf29ce4u ^ 0x84222325u));
  EXPECT_EQ(content_hash8("a"), fmt::format("{:08x}", 0xaf63dc4cu ^ 0x8601ec8cu));
  EXPECT_NE(content_hash8("case 1"), content_hash8("case 2"));
}

TEST(CaseFileNaming, ShellQuotingAndReplayCommand) {
  EXPECT_EQ(shell_quote("cpu-scalar@gqa-head-modulo"), "cpu-scalar@gqa-head-modulo");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(case_replay_command("cpu-scalar", "/tmp/my cases/a.json"),
            "flashcheck run --backend cpu-scalar --case '/tmp/my cases/a.json'");
}

TEST(CaseFileNaming, SavedArtifactIsNamedAndReplayable) {
  ScratchDir dir;
  const AttentionCase c = generate(small_recipe(7));
  const std::string nested = (dir.path() / "a" / "b").string();
  const std::string path = save_named_case_file(nested, "cpu-scalar@gqa-head-modulo", c, "O mismatch");
  const std::string name = fs::path(path).filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex("cpu-scalar-gqa-head-modulo-normal-causal-7-[0-9a-f]{8}\\.json")))
      << name;
  EXPECT_EQ(fs::path(path).parent_path(), fs::path(nested));
  EXPECT_EQ(case_difference(c, load_case_file(path)), "");
  const json metadata = json::parse(read_text(path))["metadata"];
  EXPECT_EQ(metadata["backend"], "cpu-scalar@gqa-head-modulo");
  EXPECT_EQ(metadata["reason"], "O mismatch");
  EXPECT_EQ(metadata["replay"], case_replay_command("cpu-scalar@gqa-head-modulo", path));
}

TEST(CaseFileNaming, SameContentSameFileDifferentContentNewFile) {
  ScratchDir dir;
  const AttentionCase c = generate(small_recipe(7));
  const std::string dir_name = dir.path().string();
  const std::string first = save_named_case_file(dir_name, "cpu-scalar", c, "why");
  EXPECT_EQ(save_named_case_file(dir_name, "cpu-scalar", c, "why"), first);
  EXPECT_EQ(dir.names().size(), 1u);
  const std::string other_reason = save_named_case_file(dir_name, "cpu-scalar", c, "another reason");
  EXPECT_NE(other_reason, first);
  const std::string other_case = save_named_case_file(dir_name, "cpu-scalar", generate(small_recipe(8)), "why");
  EXPECT_NE(other_case, first);
  EXPECT_EQ(dir.names().size(), 3u);
}

TEST(CaseFileNaming, ADifferentFileUnderTheNameIsNeverOverwritten) {
  ScratchDir probe, dir;
  const AttentionCase c = generate(small_recipe(7));
  const std::string name =
      fs::path(save_named_case_file(probe.path().string(), "cpu-scalar", c, "why")).filename().string();
  write_text(dir.file(name), "someone else's file");
  const std::string path = save_named_case_file(dir.path().string(), "cpu-scalar", c, "why");
  EXPECT_EQ(read_text(dir.file(name)), "someone else's file");
  EXPECT_EQ(fs::path(path).filename().string(), name.substr(0, name.size() - 5) + "-2.json");
  EXPECT_EQ(case_difference(c, load_case_file(path)), "");
}

// ------------------------------------------------------------------ counterexamples

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Counterexample, SavedUnderTheConfiguredDirectoryWithAReplayNote) {
  ScratchDir dir;
  ScopedEnv env("FLASHCHECK_ARTIFACTS", dir.path().string().c_str());
  const AttentionCase c = generate(small_recipe(7));
  const std::string note = testing::save_counterexample(c, "cpu-scalar@gqa-head-modulo", "LSE mismatch");
  ASSERT_EQ(dir.names().size(), 1u) << note;
  const std::string path = dir.file(dir.names().front());
  EXPECT_NE(note.find("counterexample saved: " + path + "\n"), std::string::npos) << note;
  EXPECT_NE(note.find("replay: " + case_replay_command("cpu-scalar@gqa-head-modulo", path)), std::string::npos) << note;
  EXPECT_EQ(case_difference(c, load_case_file(path)), "");
  EXPECT_EQ(json::parse(read_text(path))["metadata"]["reason"], "LSE mismatch");
}

TEST(Counterexample, DefaultsToADirectoryInTheWorkingDirectory) {
  ScratchDir dir;
  ScopedEnv env("FLASHCHECK_ARTIFACTS", nullptr);
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path());
  const std::string note = testing::save_counterexample(generate(small_recipe(7)), "cpu-scalar", "why");
  fs::current_path(old_cwd);
  ASSERT_TRUE(fs::is_directory(dir.path() / "flashcheck-artifacts")) << note;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() / "flashcheck-artifacts"), fs::directory_iterator()), 1);
  EXPECT_NE(note.find((dir.path() / "flashcheck-artifacts").string()), std::string::npos) << note;
}

TEST(Counterexample, SavingProblemsBecomePartOfTheNote) {
  ScratchDir dir;
  write_text(dir.file("a-file"), "not a directory");
  ScopedEnv env("FLASHCHECK_ARTIFACTS", dir.file("a-file/sub").c_str());
  const std::string note = testing::save_counterexample(generate(small_recipe(7)), "cpu-scalar", "why");
  EXPECT_NE(note.find("could not be saved"), std::string::npos) << note;
}

}  // namespace
}  // namespace flashcheck
