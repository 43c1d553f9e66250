// Attention on quantized K/V: the oracle computes on the dequantized values (and the
// rotated Q under Hadamard), the budget covers a kernel's own Q rotation, and the
// error split keeps the kernel's error apart from the format's.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/generator.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/quantization_split.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {
namespace {

CaseRecipe recipe(const std::string& k_scheme, const std::string& v_scheme, bool hadamard) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 5, .lk = 70, .dk = 64, .dv = 64};
  r.q_type = DType::f32;
  r.k_type = DType::f32;
  r.v_type = DType::f32;
  r.distribution = "normal";
  r.mask = "causal";
  r.k_quant = k_scheme;
  r.v_quant = v_scheme;
  r.kv_layout = KvRowLayout::soa;
  r.hadamard = hadamard;
  r.seed = 4242;
  return r;
}

// The case as a plain f32 kernel sees it after reading the quantized rows: K/V
// dequantized, no quantization fields (cpu-textbook reads no quantized KV).
AttentionCase as_dequantized_plain_case(const AttentionCase& c, const Tensor& q) {
  AttentionCase plain = c;
  plain.k_quant.reset();
  plain.v_quant.reset();
  plain.rotated_q.reset();
  plain.q = q;
  plain.q_type = q.dtype;
  return plain;
}

// The rotation a kernel applies to Q: an fp32 fast Walsh-Hadamard transform per block
// of 32 (five butterfly stages), then a multiply by fl32(1/sqrt(32)).
Tensor kernel_rotated_q(const Tensor& q) {
  Tensor out = Tensor::make(DType::f32, q.shape);
  const float inv_sqrt32 = 1.0f / std::sqrt(32.0f);
  for (int64_t b = 0; b < q.shape[0]; ++b)
    for (int64_t h = 0; h < q.shape[1]; ++h)
      for (int64_t i = 0; i < q.shape[2]; ++i)
        for (int64_t base = 0; base < q.shape[3]; base += 32) {
          float x[32];
          for (int d = 0; d < 32; ++d) x[d] = static_cast<float>(q.get(b, h, i, base + d));
          for (int len = 1; len < 32; len *= 2)
            for (int start = 0; start < 32; start += 2 * len)
              for (int k = start; k < start + len; ++k) {
                const float a = x[k], c = x[k + len];
                x[k] = a + c;
                x[k + len] = a - c;
              }
          for (int d = 0; d < 32; ++d) out.set(b, h, i, base + d, x[d] * inv_sqrt32);
        }
  return out;
}

TEST(QuantizedAttention, OracleComputesOnTheDequantizedValuesAndTheRotatedQ) {
  const AttentionCase c = generate(recipe("mxfp4_e2m1", "ggml_q8_0", true));
  ASSERT_EQ(validate(c), "");
  const OracleResult quantized = run_oracle(c);
  const OracleResult plain = run_oracle(as_dequantized_plain_case(c, *c.rotated_q));
  EXPECT_EQ(quantized.o, plain.o);
  EXPECT_EQ(quantized.lse, plain.lse);
  for (double r : quantized.rotation_dot_scale) EXPECT_GT(r, 0.0);
  for (double r : plain.rotation_dot_scale) EXPECT_EQ(r, 0.0);
}

TEST(QuantizedAttention, AKernelRotatingQItselfInFp32StaysWithinTheBudget) {
  for (const char* scheme : {"mxfp4_e2m1", "mxfp8_e4m3", "ggml_q4_0"}) {
    SCOPED_TRACE(scheme);
    const AttentionCase c = generate(recipe(scheme, "", true));
    const OracleResult oracle = run_oracle(c);
    const Tensor kernel_q = kernel_rotated_q(c.q);
    auto textbook = make_cpu_textbook_backend(1);
    const RunResult run = textbook->run(as_dequantized_plain_case(c, kernel_q));
    ASSERT_EQ(run.status, RunResult::Status::ok) << run.message;
    const Verdict v = judge(c, oracle, run.output);
    EXPECT_TRUE(v.pass) << v.summary();

    // Without the budget's rotation term the rotation error would be unaccounted for:
    // the kernel's Q differs from the oracle's.
    bool differs = false;
    for (int64_t d = 0; d < c.shape.dk && !differs; ++d)
      differs = kernel_q.get(0, 0, 0, d) != c.rotated_q->get(0, 0, 0, d);
    EXPECT_TRUE(differs) << "the test needs a kernel rotation that rounds differently from the oracle's";
  }
}

TEST(QuantizedAttention, ForgettingToRotateQFailsTheVerdict) {
  const AttentionCase c = generate(recipe("mxfp8_e4m3", "", true));
  const OracleResult oracle = run_oracle(c);
  auto textbook = make_cpu_textbook_backend(1);
  const RunResult run = textbook->run(as_dequantized_plain_case(c, c.q));  // Q left unrotated
  ASSERT_EQ(run.status, RunResult::Status::ok) << run.message;
  EXPECT_FALSE(judge(c, oracle, run.output).pass);
}

TEST(QuantizedAttention, ErrorSplitSeparatesTheKernelFromTheFormat) {
  const AttentionCase c = generate(recipe("ggml_q4_0", "ggml_q4_0", false));
  const OracleResult dequantized = run_oracle(c);
  const OracleResult source = run_oracle(without_quantization(c));
  auto textbook = make_cpu_textbook_backend(1);
  const RunResult run = textbook->run(as_dequantized_plain_case(c, c.q));
  ASSERT_EQ(run.status, RunResult::Status::ok) << run.message;
  const QuantizationSplit split = split_quantization_error(c, dequantized, source, run.output);
  // An fp32 kernel is within a few ulps of the exact dequantized attention; 4-bit
  // quantization moves O by orders of magnitude more.
  EXPECT_LT(split.implementation.v_rel_error.max, 1e-5);
  EXPECT_GT(split.quantization.v_rel_error.max, 1e-3);
  EXPECT_GT(split.quantization.nmse, 1e3 * split.implementation.nmse);
  EXPECT_NEAR(split.total.nmse, split.quantization.nmse, 0.1 * split.quantization.nmse);
  EXPECT_EQ(split.implementation.elements, split.quantization.elements);
}

TEST(QuantizedAttention, BackendsWithoutQuantizedKvSayWhy) {
  const AttentionCase c = generate(recipe("ggml_q8_0", "", false));
  auto textbook = make_cpu_textbook_backend(1);
  const RunResult r = run_checked(*textbook, c);
  EXPECT_EQ(r.status, RunResult::Status::unsupported);
  EXPECT_NE(r.message.find("ggml_q8_0"), std::string::npos) << r.message;

  Capabilities caps;  // reads q8_0 in the default AoS layout only
  caps.kv_schemes = {"ggml_q8_0"};
  EXPECT_NE(unsupported_reason(caps, c)->find("soa"), std::string::npos);  // recipe() stores SoA rows
  CaseRecipe aos = recipe("ggml_q8_0", "", false);
  aos.kv_layout = KvRowLayout::aos;
  EXPECT_EQ(unsupported_reason(caps, generate(aos)), std::nullopt);
  CaseRecipe rotated = recipe("ggml_q8_0", "", true);
  rotated.kv_layout = KvRowLayout::aos;
  EXPECT_NE(unsupported_reason(caps, generate(rotated))->find("Hadamard"), std::string::npos);
}

}  // namespace
}  // namespace flashcheck
