// The checker must catch a wrong encoder and report the right inputs and codes, and a
// threaded sweep must find exactly what a plain loop over the same inputs finds.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <stdexcept>
#include <string>

#include "oracle/exhaustive/exhaustive_checker.hpp"
#include "oracle/exhaustive/expectation.hpp"
#include "oracle/exhaustive/stratified_inputs.hpp"
#include "oracle/formats/element_codec.hpp"

namespace flashcheck::exhaustive {
namespace {

using formats::EncodePolicy;
using formats::NanPolicy;
using formats::Overflow;
using formats::Rounding;

const formats::ElementFormat& e4m3() { return formats::element_format("fp8_e4m3"); }
constexpr EncodePolicy kNearest{Rounding::nearest_even, Overflow::saturate, NanPolicy::to_nan};
constexpr EncodePolicy kTruncate{Rounding::toward_zero, Overflow::saturate, NanPolicy::to_nan};

uint8_t oracle(const EncodePolicy& p, uint32_t bits) {
  return formats::encode(e4m3(), static_cast<double>(std::bit_cast<float>(bits)), p);
}

TEST(ExhaustiveChecker, ReportsTruncationPassedOffAsNearestEven) {
  const Expectation expect(e4m3(), kNearest);
  const BlockEncoder truncating = blockwise([](uint32_t b) { return oracle(kTruncate, b); });
  const std::vector<uint32_t> slice = stratified_inputs(e4m3());
  const CheckReport r = check_inputs(truncating, blockwise([&](uint32_t b) { return expect.code(b); }), slice, 5);

  uint64_t differing = 0;
  for (uint32_t b : slice) differing += oracle(kNearest, b) != oracle(kTruncate, b);
  ASSERT_GT(differing, 0u);
  EXPECT_EQ(r.mismatches, differing);
  EXPECT_EQ(r.checked, slice.size());
  ASSERT_EQ(r.examples.size(), 5u);
  for (const Mismatch& m : r.examples) {
    EXPECT_EQ(m.expected, oracle(kNearest, m.input));
    EXPECT_EQ(m.got, oracle(kTruncate, m.input));
  }
  EXPECT_TRUE(std::is_sorted(r.examples.begin(), r.examples.end(),
                             [](const Mismatch& a, const Mismatch& b) { return a.input < b.input; }));
}

TEST(ExhaustiveChecker, DescribesAMismatchInHexAndDecimal) {
  // 1.0625 lies halfway between 1 (0x38) and 1.125 (0x39); nearest-even keeps 0x38.
  const Mismatch m{0x3F880000u, 0x38, 0x39};
  EXPECT_EQ(describe(m), "input 0x3f880000 (0x1.1p+0 = 1.0625) expected 0x38 got 0x39");
  const std::string text = describe(CheckReport{10, 1, {m}});
  EXPECT_NE(text.find("1 mismatch(es) in 10 inputs"), std::string::npos) << text;
}

TEST(ExhaustiveChecker, ThreadedSweepFindsWhatAPlainLoopFinds) {
  const Expectation expect(e4m3(), kNearest);
  const BlockEncoder truncating = blockwise([](uint32_t b) { return oracle(kTruncate, b); });
  const BlockEncoder expected = blockwise([&](uint32_t b) { return expect.code(b); });
  SweepOptions options;
  options.count = uint64_t{1} << 18;
  options.stride = 0x9E3779B1u;  // odd: spreads the sample over every exponent
  options.threads = 3;
  options.max_examples = 7;
  std::atomic<uint64_t> last_done{0};
  options.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, options.count);
    last_done = done;
  };
  const CheckReport swept = check_sweep(truncating, expected, options);

  std::vector<uint32_t> inputs;
  for (uint64_t i = 0; i < options.count; ++i) inputs.push_back(static_cast<uint32_t>(i * options.stride));
  const CheckReport looped = check_inputs(truncating, expected, inputs, options.max_examples);

  EXPECT_EQ(last_done.load(), options.count);
  EXPECT_EQ(swept.checked, options.count);
  EXPECT_GT(swept.mismatches, 0u);
  EXPECT_EQ(swept.mismatches, looped.mismatches);
  ASSERT_EQ(swept.examples.size(), looped.examples.size());
  for (size_t i = 0; i < swept.examples.size(); ++i) EXPECT_EQ(swept.examples[i].input, looped.examples[i].input);
}

TEST(ExhaustiveChecker, OracleSweepOfTheFirstInputsPasses) {
  const Expectation expect(e4m3(), kNearest);
  SweepOptions options;
  options.count = uint64_t{1} << 16;
  const CheckReport r = check_sweep(blockwise([&](uint32_t b) { return oracle(kNearest, b); }),
                                    blockwise([&](uint32_t b) { return expect.code(b); }), options);
  EXPECT_TRUE(r.passed()) << describe(r);
  EXPECT_EQ(r.checked, options.count);
}

TEST(ExhaustiveChecker, EncoderExceptionsReachTheCaller) {
  SweepOptions options;
  options.count = 1000;
  const BlockEncoder throwing = blockwise([](uint32_t b) -> uint8_t {
    if (b == 500) throw std::runtime_error("encoder failed");
    return 0;
  });
  EXPECT_THROW(check_sweep(throwing, blockwise([](uint32_t) { return uint8_t{0}; }), options), std::runtime_error);
}

TEST(ExhaustiveExpectation, DeviationsReplaceOnlyTheirInputClass) {
  // E8M0 with |x| for negatives and 2^-127 for zeros, as NVIDIA documents its conversion.
  const formats::ElementFormat& e8m0 = formats::element_format("e8m0");
  const std::array deviations{
      Deviation{InputClass::negative_nonzero, DeviationResult::of_magnitude, 0, "abs"},
      Deviation{InputClass::positive_zero, DeviationResult::fixed_code, 0x00, "clip"},
  };
  const Expectation expect(e8m0, kTruncate, deviations);
  EXPECT_EQ(expect.code(std::bit_cast<uint32_t>(-4.0f)), 129);  // 2^2: bias 127
  EXPECT_EQ(expect.oracle_code(std::bit_cast<uint32_t>(-4.0f)), 129);
  EXPECT_EQ(expect.code(0u), 0x00);
  EXPECT_EQ(expect.code(0x80000000u), 0xFF);  // -0 is not in either class
  EXPECT_EQ(expect.code(0xFFC00000u), 0xFF);  // negative NaN neither
  EXPECT_EQ(expect.code(std::bit_cast<uint32_t>(4.0f)), 129);
}

}  // namespace
}  // namespace flashcheck::exhaustive
