// The decision table must agree with encode() wherever it is cheap to ask encode():
// on the stratified slice, for every format and every policy the format accepts.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "oracle/exhaustive/exhaustive_checker.hpp"
#include "oracle/exhaustive/expectation.hpp"
#include "oracle/exhaustive/policy_string.hpp"
#include "oracle/exhaustive/stratified_inputs.hpp"
#include "oracle/formats/element_codec.hpp"

namespace flashcheck::exhaustive {
namespace {

TEST(ExhaustiveTable, MatchesEncodeOnTheStratifiedSliceForEveryFormatAndPolicy) {
  int combinations = 0;
  for (const formats::ElementFormat& f : formats::all_element_formats()) {
    const std::vector<uint32_t> slice = stratified_inputs(f);
    for (const formats::EncodePolicy& p : legal_policies(f)) {
      const Expectation expect(f, p);
      const CheckReport r = check_inputs(blockwise([&](uint32_t b) { return expect.code(b); }),
                                         blockwise([&](uint32_t b) { return expect.oracle_code(b); }), slice);
      EXPECT_TRUE(r.passed()) << f.name << " " << policy_string(p) << ": " << describe(r);
      EXPECT_EQ(r.checked, slice.size());
      ++combinations;
    }
  }
  EXPECT_GE(combinations, 100);
}

TEST(ExhaustiveTable, BlockEncodingMatchesPerInputLookups) {
  // Consecutive blocks (the sweep's fast fill) across boundaries, zero, infinity and
  // NaNs, and the scattered slice (the per-input path).
  for (const formats::ElementFormat& f : formats::all_element_formats()) {
    const DecisionTable table(f, formats::default_policy(f));
    std::vector<uint32_t> starts{0u, 0x3F7FF000u, 0x3F800000u, 0x7F7FF800u, 0x7F800000u, 0x7FFFF000u, 0x80000000u,
                                 0xBF800000u, 0xFF7FF800u, 0xFFFFF000u};
    for (const uint32_t start : starts) {
      std::vector<uint32_t> inputs(4096);
      for (size_t i = 0; i < inputs.size(); ++i) inputs[i] = start + static_cast<uint32_t>(i);
      std::vector<uint8_t> out(inputs.size());
      table.encode_block(inputs, out);
      for (size_t i = 0; i < inputs.size(); ++i)
        ASSERT_EQ(out[i], table.encode_bits(inputs[i])) << f.name << " input " << std::hex << inputs[i];
    }
    const std::vector<uint32_t> slice = stratified_inputs(f);
    std::vector<uint8_t> out(slice.size());
    table.encode_block(slice, out);
    for (size_t i = 0; i < slice.size(); ++i) ASSERT_EQ(out[i], table.encode_bits(slice[i])) << f.name;
  }
}

TEST(ExhaustiveTable, HasOneRunPerCodeOfEachSignUnderNearestEven) {
  // Under nearest-even with saturation every finite code of a sign is reached by
  // exactly one run of magnitudes, so the runs count the codes.
  for (const formats::ElementFormat& f : formats::all_element_formats()) {
    const DecisionTable table(f, formats::default_policy(f));
    const size_t positive_codes = f.is_signed ? f.code_count() / 2 : f.code_count();
    const size_t finite_positive = positive_codes - (f.has_nan() ? (f.nan == formats::NanEncoding::ieee ? 3u : 1u) : 0u) -
                                   (f.has_inf ? 1u : 0u);
    // E8M0 has no zero: +0 and below take the NaN policy's code, one run more.
    const size_t expected_runs = f.has_zero ? finite_positive : finite_positive + 1;
    EXPECT_EQ(table.run_count(false), expected_runs) << f.name;
  }
}

TEST(ExhaustiveTable, SliceCoversEveryExponentSignAndNanKind) {
  const std::vector<uint32_t> slice = stratified_inputs(formats::element_format("fp8_e4m3"));
  bool exponent_seen[2][256] = {};
  bool quiet_nan[2] = {}, signalling_nan[2] = {};
  for (uint32_t b : slice) {
    const uint32_t sign = b >> 31, exponent = (b >> 23) & 0xFF, mantissa = b & 0x7FFFFF;
    exponent_seen[sign][exponent] = true;
    if (exponent == 0xFF && mantissa != 0) ((mantissa & 0x400000) ? quiet_nan : signalling_nan)[sign] = true;
  }
  for (int s = 0; s < 2; ++s) {
    for (int e = 0; e < 256; ++e) EXPECT_TRUE(exponent_seen[s][e]) << s << " " << e;
    EXPECT_TRUE(quiet_nan[s]);
    EXPECT_TRUE(signalling_nan[s]);
  }
  // The tie 0x1.2p+0 between 1 and 1.125 with both f32 neighbours.
  for (uint32_t b : {0x3F900000u, 0x3F8FFFFFu, 0x3F900001u, 0xBF900000u})
    EXPECT_TRUE(std::binary_search(slice.begin(), slice.end(), b)) << std::hex << b;
}

TEST(ExhaustivePolicyString, RoundTripsEveryLegalPolicy) {
  for (const formats::ElementFormat& f : formats::all_element_formats())
    for (const formats::EncodePolicy& p : legal_policies(f)) {
      const formats::EncodePolicy q = parse_policy_string(policy_string(p));
      EXPECT_EQ(policy_string(q), policy_string(p));
    }
}

TEST(ExhaustivePolicyString, BadTextNamesThePartAndListsValidNames) {
  try {
    parse_policy_string("nearest_even,saturate,to_nowhere");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("to_nowhere"), std::string::npos) << what;
    EXPECT_NE(what.find("to_max"), std::string::npos) << what;
  }
  EXPECT_THROW(parse_policy_string("nearest_even,saturate"), std::invalid_argument);
  EXPECT_THROW(parse_policy_string(""), std::invalid_argument);
  EXPECT_THROW(DecisionTable(formats::element_format("fp4_e2m1"), parse_policy_string("nearest_even,saturate,to_nan")),
               std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck::exhaustive
