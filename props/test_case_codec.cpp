// The binary case codec and its JSON twin: bit-for-bit round trips, rejection of every
// corruption and truncation, limits, golden files of each format version, and the
// recipe_problem() <-> generate() agreement the decoder relies on.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>

#include "core/byte_io.hpp"
#include "core/case_codec.hpp"
#include "core/case_json.hpp"
#include "core/case_record_json.hpp"
#include "support/random_recipe.hpp"

namespace flashcheck {
namespace {

// case_to_json stores every tensor as raw bits, so equal text means equal bits.
std::string case_text(const AttentionCase& c) { return case_to_json(c).dump(); }

CaseRecord decode_or_fail(std::span<const uint8_t> bytes) {
  DecodeResult d = decode_case_record(bytes);
  if (!d.record) throw std::runtime_error("decode failed: " + d.error);
  return std::move(*d.record);
}

CaseNotes sample_notes() {
  return {"mutant-cpu-scalar-example",
          "a note with \"quotes\" and unicode \xc3\xa9",
          {{"cpu-scalar@vkq16", "drift"}, {"cpu-simd", ""}}};
}

CaseRecipe small_recipe() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 2, .lk = 3, .dk = 4, .dv = 4};
  r.q_type = DType::f16;
  r.mask = "causal";
  r.sinks = true;
  r.seed = 7;
  return r;
}

CaseRecipe quantized_recipe() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 2, .lk = 3, .dk = 32, .dv = 32};
  r.k_quant = "mxfp8_e4m3";
  r.v_quant = "mxfp6_e2m3";
  r.kv_layout = KvRowLayout::soa;
  r.hadamard = true;
  r.v_nan_scale = true;
  r.sinks = true;
  r.mask = "random";
  r.layout = Layout::padded_rows;
  r.scale = 0.25f;
  r.seed = 3;
  return r;
}

void expect_rejected(std::span<const uint8_t> bytes, const std::string& what) {
  const DecodeResult d = decode_case_record(bytes);
  EXPECT_FALSE(d.record.has_value()) << what;
  EXPECT_FALSE(d.error.empty()) << what;
}

// A record whose checksum is recomputed after editing, so the edit reaches the field
// readers instead of the checksum check.
std::vector<uint8_t> with_fixed_crc(std::vector<uint8_t> bytes) {
  bytes.resize(bytes.size() - 4);
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  c ^= 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(c >> (8 * i)));
  return bytes;
}

// ------------------------------------------------------------------ round trips

RC_GTEST_PROP(CaseCodecRoundTrip, GeneratedRawCasesSurviveBitForBit, ()) {
  testing::RecipeSpace space;
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  space.softcaps = {0.0f, 20.0f};
  space.max_biases = {0.0f, 8.0f};
  space.scales = {0.5f, -0.0f, 1e-3f};
  const AttentionCase c = generate(testing::random_recipe(space));  // special: -inf masks, inf/NaN in K/V
  const CaseRecord in{c, sample_notes()};
  const CaseRecord out = decode_or_fail(encode_case_record(in));
  RC_ASSERT(!out.is_recipe());
  RC_ASSERT(case_text(std::get<AttentionCase>(out.body)) == case_text(c));
  RC_ASSERT(out.notes == in.notes);
}

RC_GTEST_PROP(CaseCodecRoundTrip, QuantizedRawCasesSurviveBitForBit, ()) {
  const CaseRecipe r = testing::random_quantized_recipe();
  const AttentionCase c = generate(r);
  const CaseRecord out = decode_or_fail(encode_case_record(CaseRecord{c, {}}));
  RC_ASSERT(case_text(std::get<AttentionCase>(out.body)) == case_text(c));
}

// NaN payloads and arbitrary bits anywhere in the storage (padding included).
RC_GTEST_PROP(CaseCodecRoundTrip, ArbitraryStorageBitsSurvive, ()) {
  testing::RecipeSpace space;
  space.layouts = {Layout::padded_rows, Layout::seq_major};
  space.masks = {"random", "masked_rows"};
  space.distributions = {"normal"};
  AttentionCase c = generate(testing::random_recipe(space));
  for (Tensor* t : {&c.q, &c.k, &c.v, &*c.mask})
    for (std::byte& b : t->storage) b = static_cast<std::byte>(*rc::gen::arbitrary<uint8_t>());
  c.seed = *rc::gen::arbitrary<uint64_t>();
  const CaseRecord out = decode_or_fail(encode_case_record(CaseRecord{c, {}}));
  RC_ASSERT(case_text(std::get<AttentionCase>(out.body)) == case_text(c));
}

CaseRecipe random_valid_recipe() {
  testing::RecipeSpace space;
  space.layouts = {Layout::contiguous, Layout::seq_major, Layout::padded_rows};
  space.softcaps = {0.0f, 20.0f};
  space.max_biases = {0.0f, 8.0f};
  space.scales = {0.5f, -0.0f};
  CaseRecipe r = testing::random_recipe(space);
  if (*rc::gen::arbitrary<bool>()) {
    r.shape.dk = r.shape.dv = 32;
    if (r.distribution == "special") r.distribution = "normal";
    r.k_quant = *rc::gen::elementOf(kv_scheme_names());
    r.hadamard = *rc::gen::arbitrary<bool>();
    r.kv_layout = KvRowLayout::soa;
  }
  r.seed = *rc::gen::arbitrary<uint64_t>();
  return r;
}

RC_GTEST_PROP(CaseCodecRoundTrip, RecipesSurviveExactly, ()) {
  const CaseRecipe r = random_valid_recipe();
  RC_PRE(recipe_problem(r).empty());
  const CaseRecord in{r, sample_notes()};
  const std::vector<uint8_t> bytes = encode_case_record(in);
  const CaseRecord out = decode_or_fail(bytes);
  RC_ASSERT(out.is_recipe());
  RC_ASSERT(recipe_to_json(std::get<CaseRecipe>(out.body)) == recipe_to_json(r));
  RC_ASSERT(out.notes == in.notes);
  // JSON twin: record -> JSON -> record -> the same bytes.
  RC_ASSERT(encode_case_record(case_record_from_json(case_record_to_json(out))) == bytes);
}

TEST(CaseRecordJson, RawRecordsRoundTripThroughJson) {
  const CaseRecord in{generate(quantized_recipe()), sample_notes()};
  const std::vector<uint8_t> bytes = encode_case_record(in);
  const nlohmann::json j = case_record_to_json(decode_or_fail(bytes));
  EXPECT_EQ(encode_case_record(case_record_from_json_text(j.dump(2))), bytes);
}

TEST(CaseRecordJson, PlainCaseFilesAreRawRecordsWithoutNotes) {
  const AttentionCase c = generate(small_recipe());
  const CaseRecord r = case_record_from_json(case_to_json(c));
  EXPECT_EQ(case_text(std::get<AttentionCase>(r.body)), case_text(c));
  EXPECT_EQ(r.notes, CaseNotes{});
}

TEST(CaseRecordJson, UnknownAndMissingFieldsAreNamed) {
  nlohmann::json j = case_record_to_json(CaseRecord{small_recipe(), sample_notes()});
  j["recipe"]["windw"] = 3;
  try {
    (void)case_record_from_json(j);
    FAIL() << "accepted an unknown field";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("recipe.windw"), std::string::npos) << e.what();
  }
  j["recipe"].erase("windw");
  j["recipe"].erase("seed");
  EXPECT_THROW((void)case_record_from_json(j), std::invalid_argument);
  j = case_record_to_json(CaseRecord{small_recipe(), sample_notes()});
  j["recipe"]["distribution"] = "bogus";
  EXPECT_THROW((void)case_record_from_json(j), std::invalid_argument);
  EXPECT_THROW((void)case_record_from_json_text("{not json"), std::invalid_argument);
}

// ------------------------------------------------------------------ rejection

TEST(CaseCodecRejects, EverySingleByteCorruptionAndEveryTruncation) {
  const std::vector<uint8_t> good = encode_case_record(CaseRecord{small_recipe(), sample_notes()});
  ASSERT_TRUE(decode_case_record(good).record.has_value());
  for (size_t i = 0; i < good.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bad = good;
      bad[i] ^= static_cast<uint8_t>(1u << bit);
      expect_rejected(bad, "bit " + std::to_string(bit) + " of byte " + std::to_string(i));
    }
  for (size_t n = 0; n < good.size(); ++n)
    expect_rejected(std::span(good).first(n), "truncated to " + std::to_string(n));
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  expect_rejected(longer, "a trailing byte");
}

// Corruptions with a valid checksum reach the field readers: each edited record either
// decodes to a valid case that encodes back to exactly those bytes (storage bits and
// scalars may take any value) or is rejected with an offset and field.
void check_field_corruptions(const std::vector<uint8_t>& good, std::initializer_list<int> edits) {
  size_t rejected = 0, accepted = 0;
  for (size_t i = 10; i + 4 < good.size(); ++i)
    for (int edit : edits) {
      std::vector<uint8_t> bad = good;
      bad[i] = static_cast<uint8_t>(edit < 0 ? bad[i] ^ -edit : edit);  // negative: xor mask
      if (bad == good) continue;
      bad = with_fixed_crc(bad);
      const DecodeResult d = decode_case_record(bad);
      if (d.record) {
        EXPECT_EQ(encode_case_record(*d.record), bad) << "byte " << i;
        EXPECT_NO_THROW((void)case_record_to_json(*d.record).dump()) << "byte " << i;
        ++accepted;
      } else {
        EXPECT_TRUE(d.error.starts_with("offset ") || d.error.starts_with("case (body): ") ||
                    d.error.starts_with("recipe (body): "))
            << d.error;
        ++rejected;
      }
    }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(accepted, 0u);
}

TEST(CaseCodecRejects, FieldCorruptionsBehindAValidChecksum) {
  check_field_corruptions(encode_case_record(CaseRecord{generate(small_recipe()), {"n", "s", {{"b", "c"}}}}),
                          {0x00, 0x01, 0x7F, 0x80, 0xFF});
  check_field_corruptions(encode_case_record(CaseRecord{small_recipe(), {"n", "s", {{"b", "c"}}}}),
                          {0x00, 0x01, 0x7F, 0x80, 0xFF});
  check_field_corruptions(encode_case_record(CaseRecord{generate(quantized_recipe()), {}}), {-0x01, 0xFF});
}

TEST(CaseCodecRejects, MessagesNameOffsetAndField) {
  CaseRecipe r = small_recipe();
  const std::vector<uint8_t> good = encode_case_record(CaseRecord{r, {}});
  // Header 10, kind 1, notes 4 + 4 + 4: shape starts at 23; lk is its fifth entry.
  std::vector<uint8_t> bad = good;
  const size_t lk_at = 23 + 4 * 8;
  for (size_t i = 0; i < 8; ++i) bad[lk_at + i] = 0;
  const DecodeResult d = decode_case_record(with_fixed_crc(bad));
  EXPECT_EQ(d.error, "offset 55 (recipe.shape.lk): 0 is not a positive dimension");

  bad = good;
  bad[8] = 3;
  EXPECT_EQ(decode_case_record(bad).error,
            "offset 8 (version): written by a newer flashcheck (version 3); this build reads versions 1..1");
  EXPECT_EQ(decode_case_record(bad).version, 3);
  bad[8] = 0;
  EXPECT_NE(decode_case_record(bad).error.find("version 0"), std::string::npos);

  bad = good;
  bad[20] ^= 1;
  EXPECT_NE(decode_case_record(bad).error.find("checksum"), std::string::npos);
}

RC_GTEST_PROP(CaseCodecRejects, RandomBytesAreRejected, ()) {
  std::vector<uint8_t> bytes = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  if (*rc::gen::arbitrary<bool>()) {  // past the magic and version, to reach the checksum and readers
    const std::vector<uint8_t> header{'F', 'C', 'A', 'S', 'E', 0x1a, '\r', '\n', 1, 0};
    bytes.insert(bytes.begin(), header.begin(), header.end());
    if (*rc::gen::arbitrary<bool>() && bytes.size() >= 14) bytes = with_fixed_crc(bytes);
  }
  const DecodeResult d = decode_case_record(bytes);
  RC_ASSERT(!d.record.has_value());
  RC_ASSERT(!d.error.empty());
}

// A raw tensor header claiming 2^40 elements is refused from the header alone.
TEST(CaseCodecRejects, HugeDeclaredTensorsWithoutAllocating) {
  ByteWriter w;
  w.raw(kCaseCodecMagic);
  w.u16(kCaseCodecVersion);
  w.u8(1);  // raw
  w.string("");
  w.string("");
  w.u32(0);
  w.string("fam");
  w.u64(1);
  for (int64_t d : {1, 1, 1, 1024, 1024, 1 << 20, 64}) w.i64(d);
  for (int i = 0; i < 4; ++i) w.string("f32");
  w.f32(1.0f);
  w.string("none");
  w.i64(0);
  w.f32(0.0f);
  w.f32(0.0f);
  w.string("f32");  // Q: [1][1][1024][2^20] = 2^30 elements, the max dimension 2^24 each
  for (int64_t d : {1, 1, 1024, 1 << 20}) w.i64(d);
  for (int64_t d : {1 << 30, 1 << 30, 1 << 20, 1}) w.i64(d);
  w.u64(uint64_t{1} << 42);
  w.u32(0);
  const DecodeResult d = decode_case_record(with_fixed_crc(w.buffer()));
  ASSERT_FALSE(d.record);
  EXPECT_NE(d.error.find("case.q.shape"), std::string::npos) << d.error;
  EXPECT_NE(d.error.find("per-tensor limit"), std::string::npos) << d.error;

  // A recipe whose Q would hold 2^40 elements.
  CaseRecipe r = small_recipe();
  std::vector<uint8_t> bytes = encode_case_record(CaseRecord{r, {}});
  const size_t lq_at = 23 + 3 * 8, dk_at = 23 + 5 * 8;
  for (size_t i = 0; i < 8; ++i) {
    bytes[lq_at + i] = static_cast<uint8_t>((int64_t{1} << 20) >> (8 * i));
    bytes[dk_at + i] = static_cast<uint8_t>((int64_t{1} << 20) >> (8 * i));
  }
  const DecodeResult dr = decode_case_record(with_fixed_crc(bytes));
  ASSERT_FALSE(dr.record);
  EXPECT_NE(dr.error.find("recipe.shape (Q to generate)"), std::string::npos) << dr.error;

  DecodeLimits tight;
  tight.max_tensor_elements = 8;
  EXPECT_FALSE(decode_case_record(encode_case_record(CaseRecord{r, {}}), tight).record);
}

TEST(CaseCodecRejects, StringsMustBeUtf8) {
  EXPECT_TRUE(is_valid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  for (std::string_view bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"})
    EXPECT_FALSE(is_valid_utf8(bad)) << bad.size();
  std::vector<uint8_t> bytes = encode_case_record(CaseRecord{small_recipe(), {"nm", "", {}}});
  bytes[15] = 0xFF;  // the name's second byte (header 10, kind 1, length 4)
  EXPECT_EQ(decode_case_record(with_fixed_crc(bytes)).error, "offset 15 (notes.name): string is not valid UTF-8");
  EXPECT_THROW((void)encode_case_record(CaseRecord{small_recipe(), {"\xff", "", {}}}), std::invalid_argument);
}

TEST(CaseCodecRejects, EncodeRefusesWhatTheFormatCannotHold) {
  CaseRecipe r = small_recipe();
  r.distribution = "bogus";
  EXPECT_THROW((void)encode_case_record(CaseRecord{r, {}}), std::invalid_argument);
  CaseRecord long_name{small_recipe(), {}};
  long_name.notes.name.assign(5000, 'x');
  EXPECT_THROW((void)encode_case_record(long_name), std::invalid_argument);
  AttentionCase c = generate(small_recipe());
  c.shape.hq = 3;
  EXPECT_THROW((void)encode_case_record(CaseRecord{c, {}}), std::invalid_argument);
}

// ------------------------------------------------------------------ recipe_problem

// recipe_problem(r) empty <=> generate(r) succeeds, over recipes mutated into invalid ones.
RC_GTEST_PROP(RecipeProblem, EmptyExactlyWhenGenerateSucceeds, ()) {
  CaseRecipe r = random_valid_recipe();
  switch (*rc::gen::inRange(0, 14)) {
    case 0:
      r.shape.hq = *rc::gen::inRange<int64_t>(-1, 5);
      break;
    case 1:
      r.shape.dk = *rc::gen::inRange<int64_t>(-1, 40);
      break;
    case 2:
      r.distribution = *rc::gen::element<std::string>("special", "nope", "");
      break;
    case 3:
      r.mask = *rc::gen::element<std::string>("window", "nope");
      r.window = *rc::gen::inRange<int64_t>(-1, 3);
      break;
    case 4:
      r.v_quant = *rc::gen::elementOf(kv_scheme_names());
      r.shape.dv = *rc::gen::element<int64_t>(16, 32, 64);
      break;
    case 5:
      r.v_nan_scale = true;
      break;
    case 6:
      r.hadamard = true;
      break;
    case 7:
      r.k_quant = *rc::gen::element<std::string>("q4_0", "bogus");
      break;
    case 8:
      r.scale = *rc::gen::element(std::numeric_limits<float>::infinity(), 1e-30f, 1e38f, 0.0f);
      break;
    case 9:
      r.softcap = *rc::gen::element(-1.0f, std::numeric_limits<float>::quiet_NaN());
      break;
    case 10:
      r.max_bias = *rc::gen::element(-1.0f, std::numeric_limits<float>::infinity());
      break;
    case 11:
      r.shape.lk = *rc::gen::element<int64_t>(int64_t{1} << 29, int64_t{1} << 40);
      break;
    case 12:
      r.q_type = static_cast<DType>(*rc::gen::inRange<int>(3, 256));
      break;
    default:
      break;
  }
  const std::string problem = recipe_problem(r);
  std::string thrown;
  try {
    (void)generate(r);
  } catch (const std::exception& e) {
    thrown = e.what();
  }
  RC_ASSERT(problem.empty() == thrown.empty());
}

// ------------------------------------------------------------------ golden files

std::vector<uint8_t> read_golden(const std::string& name) {
  const std::string path = std::string(FLASHCHECK_FORMAT_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read golden file " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char ch : s) h = (h ^ static_cast<uint8_t>(ch)) * 0x100000001b3ull;
  return h;
}

// corpus/format/v1-recipe.fcase: written by version 1; must decode forever.
TEST(CaseCodecGolden, Version1Recipe) {
  const std::vector<uint8_t> bytes = read_golden("v1-recipe.fcase");
  const DecodeResult d = decode_case_record(bytes);
  ASSERT_TRUE(d.record) << d.error;
  EXPECT_EQ(d.version, 1);
  CaseRecipe want;
  want.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 3, .lk = 40, .dk = 32, .dv = 32};
  want.q_type = DType::bf16;
  want.k_type = DType::f16;
  want.v_type = DType::f32;
  want.o_type = DType::f16;
  want.distribution = "large_scores";
  want.mask = "window";
  want.window = 5;
  want.scale = 0x1.8p-3f;
  want.max_bias = 8.0f;
  want.softcap = 30.0f;
  want.sinks = true;
  want.layout = Layout::seq_major;
  want.k_quant = "ggml_q8_0";
  want.v_quant = "mxfp4_e2m1";
  want.kv_layout = KvRowLayout::soa;
  want.hadamard = true;
  want.v_nan_scale = true;
  want.seed = 0x0123456789abcdefull;
  EXPECT_EQ(recipe_to_json(std::get<CaseRecipe>(d.record->body)).dump(2), recipe_to_json(want).dump(2));
  const CaseNotes notes{"golden-v1-recipe",
                        "every recipe field away from its default",
                        {{"cpu-scalar@e8m0-ff-as-inf", "nan-from-inf"}, {"cpu-scalar@nibble-order-swapped", ""}}};
  EXPECT_EQ(d.record->notes, notes);
  EXPECT_NO_THROW((void)materialize(*d.record));
  // Today's encoder writes the same bytes (drop this line, not the file, after a bump).
  EXPECT_EQ(encode_case_record(*d.record), bytes);
}

// FNV-1a 64 of case_to_json(c).dump() for the case in corpus/format/v1-raw.fcase. Pins
// every bit of the case; a change to case_to_json's text changes it too (update it then,
// after checking the golden case itself is unchanged).
constexpr uint64_t kV1RawCaseJsonHash = 0x665ddb8b41686a4dull;

// corpus/format/v1-raw.fcase: a raw case with quantized K/V, a Hadamard-rotated Q, an
// explicit mask with -inf, sinks and padded storage.
TEST(CaseCodecGolden, Version1Raw) {
  const std::vector<uint8_t> bytes = read_golden("v1-raw.fcase");
  const DecodeResult d = decode_case_record(bytes);
  ASSERT_TRUE(d.record) << d.error;
  const auto& c = std::get<AttentionCase>(d.record->body);
  EXPECT_EQ(d.record->notes.name, "golden-v1-raw");
  EXPECT_TRUE(c.k_quant && c.v_quant && c.rotated_q && c.mask && c.has_sinks());
  EXPECT_EQ(fnv1a(case_text(c)), kV1RawCaseJsonHash) << std::hex << fnv1a(case_text(c));
  EXPECT_EQ(encode_case_record(*d.record), bytes);
}

// ------------------------------------------------------------------ speed (printed, not asserted)

TEST(CaseCodecSpeed, DecodeThroughput) {
  const std::vector<uint8_t> bytes = encode_case_record(CaseRecord{generate(quantized_recipe()), sample_notes()});
  const std::vector<uint8_t> small = encode_case_record(CaseRecord{small_recipe(), sample_notes()});
  auto time = [](const std::vector<uint8_t>& b, int n) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
      if (!decode_case_record(b).record) ADD_FAILURE();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / n;
  };
  const double raw_us = time(bytes, 200), recipe_us = time(small, 2000);
  std::printf("decode: raw record %zu bytes %.1f us (%.1f MB/s); recipe record %zu bytes %.2f us\n", bytes.size(),
              raw_us, static_cast<double>(bytes.size()) / raw_us, small.size(), recipe_us);
}

}  // namespace
}  // namespace flashcheck
