// Elements extremely close to a rounding midpoint: a peaked softmax whose top value
// is itself a midpoint of the output format. No finite precision separates them;
// the oracle's last tier decides the side from sign(O - mid) and must match the
// mathematically obvious answer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "oracle/attention_oracle.hpp"

namespace {

using namespace flashcheck;

// Lk keys of dimension 2 with Q = (1, q1), all f32.
AttentionCase two_dim_case(double q1, std::vector<std::pair<double, double>> keys, std::vector<double> values,
                           DType o_type) {
  AttentionCase c;
  const int64_t lk = static_cast<int64_t>(keys.size());
  c.shape = {1, 1, 1, 1, lk, 2, 1};
  c.q_type = c.k_type = c.v_type = DType::f32;
  c.o_type = o_type;
  c.scale = 1.0f;
  c.q = Tensor::make(DType::f32, {1, 1, 1, 2});
  c.k = Tensor::make(DType::f32, {1, 1, lk, 2});
  c.v = Tensor::make(DType::f32, {1, 1, lk, 1});
  c.q.set(0, 0, 0, 0, 1.0);
  c.q.set(0, 0, 0, 1, q1);
  for (int64_t j = 0; j < lk; ++j) {
    c.k.set(0, 0, j, 0, keys[static_cast<size_t>(j)].first);
    c.k.set(0, 0, j, 1, keys[static_cast<size_t>(j)].second);
    c.v.set(0, 0, j, 0, values[static_cast<size_t>(j)]);
  }
  return c;
}

OracleResult oracle_f(const AttentionCase& c, DType out) {
  OracleOptions o;
  o.out_type = out;
  o.threads = 1;
  return run_oracle(c, o);
}

TEST(OracleMidpoint, PeakedRowWhoseTopValueIsAnF16MidpointRoundsTowardTheTail) {
  const double mid = 1.0 + 0x1p-11;  // halfway between f16 1.0 and 1 + 2^-10
  // The second key's weight is e^-1000 relative: far below any precision tried.
  const auto up = oracle_f(two_dim_case(0.0, {{0.0, 0.0}, {-1000.0, 0.0}}, {mid, 2.0}, DType::f16), DType::f16);
  const auto down = oracle_f(two_dim_case(0.0, {{0.0, 0.0}, {-1000.0, 0.0}}, {mid, 0.0}, DType::f16), DType::f16);
  const auto tie = oracle_f(two_dim_case(0.0, {{0.0, 0.0}}, {mid}, DType::f16), DType::f16);
  std::printf("up %a down %a tie %a\n", up.o[0], down.o[0], tie.o[0]);
  EXPECT_EQ(up.o[0], static_cast<float>(1.0 + 0x1p-10));
  EXPECT_EQ(down.o[0], 1.0f);
  EXPECT_EQ(tie.o[0], 1.0f);  // exactly the midpoint: ties to even
  for (const auto* r : {&up, &down, &tie}) {
    EXPECT_EQ(r->stats.unresolved_elements, 0);
    EXPECT_GE(r->stats.exact_path_elements, 1);
  }
}

TEST(OracleMidpoint, LseJustAboveAnF32MidpointRoundsUp) {
  // Score of key 0 is 1 + 2^-24, exactly halfway between f32 1.0 and 1 + 2^-23.
  const auto alone = oracle_f(two_dim_case(0x1p-24, {{1.0, 1.0}}, {0.5}, DType::f32), DType::f32);
  const auto tail = oracle_f(two_dim_case(0x1p-24, {{1.0, 1.0}, {-1000.0, 0.0}}, {0.5, 0.5}, DType::f32), DType::f32);
  std::printf("alone %a tail %a\n", alone.lse[0], tail.lse[0]);
  EXPECT_EQ(alone.lse[0], 1.0f);                                  // the tie, to even
  EXPECT_EQ(tail.lse[0], static_cast<float>(1.0 + 0x1p-23));     // log(1 + e^-1001) > 0 breaks it upward
  EXPECT_EQ(alone.stats.unresolved_elements + tail.stats.unresolved_elements, 0);
}

TEST(OracleMidpoint, WithoutEscalationTheAmbiguityIsReportedNotGuessedAway) {
  OracleOptions o;
  o.out_type = DType::f16;
  o.escalate = false;
  const auto r = run_oracle(two_dim_case(0.0, {{0.0, 0.0}, {-1000.0, 0.0}}, {1.0 + 0x1p-11, 2.0}, DType::f16), o);
  EXPECT_GE(r.stats.unresolved_elements, 1);  // O (and the LSE, e^-1000 above 0)
  EXPECT_EQ(r.stats.exact_path_elements, 0);
}

}  // namespace
