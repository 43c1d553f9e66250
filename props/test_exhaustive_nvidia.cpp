// NVIDIA's host conversions against the oracle, on the stratified slice: each must
// match its documented policy except for its listed deviations, and every listed
// deviation must matter somewhere on the slice (no deviation may be vacuous).
#include <gtest/gtest.h>

#include <bit>

#include "oracle/exhaustive/exhaustive_checker.hpp"
#include "oracle/exhaustive/expectation.hpp"
#include "oracle/exhaustive/nvidia_encoders.hpp"
#include "oracle/exhaustive/policy_string.hpp"
#include "oracle/exhaustive/stratified_inputs.hpp"

namespace flashcheck::exhaustive {
namespace {

TEST(ExhaustiveNvidia, EveryConversionMatchesItsDocumentedPolicyOnTheSlice) {
  if (nvidia_conversions().empty()) GTEST_SKIP() << "NVIDIA cuda_fp8/fp6/fp4 headers not found at configure time";
  for (const NvidiaConversion& c : nvidia_conversions()) {
    const formats::ElementFormat& f = formats::element_format(c.format);
    const Expectation expect(f, c.policy, c.deviations);
    const std::vector<uint32_t> slice = stratified_inputs(f);
    const BlockEncoder nvidia = c.convert_block;
    const CheckReport r = check_inputs(nvidia, blockwise([&](uint32_t b) { return expect.oracle_code(b); }), slice);
    EXPECT_TRUE(r.passed()) << c.call << " vs " << policy_string(c.policy) << ": " << describe(r);
    // The decision table must reproduce the deviations too.
    const CheckReport table = check_inputs(blockwise([&](uint32_t b) { return expect.code(b); }),
                                           blockwise([&](uint32_t b) { return expect.oracle_code(b); }), slice);
    EXPECT_TRUE(table.passed()) << c.call << " table vs oracle: " << describe(table);
  }
}

TEST(ExhaustiveNvidia, EveryDeviationChangesSomeResult) {
  if (nvidia_conversions().empty()) GTEST_SKIP() << "NVIDIA cuda_fp8/fp6/fp4 headers not found at configure time";
  for (const NvidiaConversion& c : nvidia_conversions()) {
    const formats::ElementFormat& f = formats::element_format(c.format);
    const Expectation plain(f, c.policy);
    const std::vector<uint32_t> slice = stratified_inputs(f);
    for (const Deviation& d : c.deviations) {
      const Expectation only(f, c.policy, std::span(&d, 1));
      bool matters = false;
      for (uint32_t b : slice) matters = matters || only.oracle_code(b) != plain.oracle_code(b);
      EXPECT_TRUE(matters) << c.call << ": deviation for " << name(d.inputs) << " changes nothing";
    }
  }
}

TEST(ExhaustiveNvidia, ConversionsAreFoundByFormatAndPolicy) {
  if (nvidia_conversions().empty()) GTEST_SKIP() << "NVIDIA cuda_fp8/fp6/fp4 headers not found at configure time";
  for (const NvidiaConversion& c : nvidia_conversions()) EXPECT_EQ(find_nvidia_conversion(c.format, c.policy), &c);
  EXPECT_EQ(find_nvidia_conversion("fp8_e4m3", parse_policy_string("nearest_away,saturate,to_nan")), nullptr);
}

}  // namespace
}  // namespace flashcheck::exhaustive
