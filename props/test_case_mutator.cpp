// The case-space mutator of fuzz_attention (fuzz/case_mutator.hpp): every output is a
// record the target accepts, every kind of mutation happens, and a seed fixes the result.
#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

#include "core/case_codec.hpp"
#include "core/generator.hpp"
#include "fuzz/attention_fuzz_case.hpp"
#include "fuzz/case_mutator.hpp"

namespace flashcheck::fuzz {
namespace {

constexpr size_t kMaxSize = 65536;

std::vector<std::vector<uint8_t>> seed_records() {
  CaseRecipe plain;
  plain.shape = {1, 2, 1, 4, 33, 32, 32};
  plain.mask = "causal";
  CaseRecipe quantized = plain;
  quantized.k_quant = "ggml_q8_0";
  quantized.v_quant = "mxfp4_e2m1";
  quantized.kv_layout = KvRowLayout::soa;
  CaseRecipe special = plain;
  special.distribution = "special";
  special.mask = "random";
  std::vector<std::vector<uint8_t>> out;
  for (const CaseRecipe& r : {plain, quantized, special}) {
    out.push_back(encode_case_record({r, {"recipe", "", {}}}));
    out.push_back(encode_case_record({generate(r), {"raw", "", {}}}));
  }
  out.push_back({'n', 'o', 't', ' ', 'a', ' ', 'c', 'a', 's', 'e'});  // undecodable: a fresh recipe follows
  return out;
}

// What fuzz_attention requires of an input; an empty string when it holds.
std::string acceptance_problem(const std::vector<uint8_t>& bytes) {
  if (bytes.size() > kMaxSize) return "larger than max_size";
  const DecodeResult d = decode_case_record(bytes, attention_decode_limits());
  if (!d.record) return "does not decode: " + d.error;
  AttentionCase c;
  try {
    c = materialize(*d.record);
  } catch (const std::exception& e) {
    return std::string("does not materialize: ") + e.what();
  }
  if (std::string p = validate(c); !p.empty()) return "invalid case: " + p;
  if (std::string p = shape_limit_problem(c.shape); !p.empty()) return p;
  return oracle_definedness_problem(c);
}

TEST(CaseMutator, TenThousandMutationsStayAcceptedAndCoverEveryKind) {
  const std::vector<std::vector<uint8_t>> seeds = seed_records();
  std::array<int, kCaseMutationCount> seen{};
  std::vector<uint8_t> current = seeds.front();
  constexpr int kMutations = 10000;
  for (int i = 0; i < kMutations; ++i) {
    if (i % 25 == 0) current = seeds[static_cast<size_t>(i / 25) % seeds.size()];  // restart from each seed in turn
    const auto seed = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull;
    const MutationOutcome m = i % 10 == 9 ? cross_over_case_records(current, seeds[static_cast<size_t>(i) % seeds.size()],
                                                                     kMaxSize, seed)
                                          : mutate_case_record(current, kMaxSize, seed);
    ++seen[static_cast<size_t>(m.kind)];
    // Materializing every output would dominate the test's time; decode all, build every 7th.
    if (i % 7 == 0) {
      ASSERT_EQ(acceptance_problem(m.bytes), "") << "mutation " << i << " (" << mutation_name(m.kind) << ")";
    } else {
      const DecodeResult d = decode_case_record(m.bytes, attention_decode_limits());
      ASSERT_TRUE(d.record.has_value()) << "mutation " << i << " (" << mutation_name(m.kind) << "): " << d.error;
    }
    current = m.bytes;
  }
  for (size_t k = 0; k < kCaseMutationCount; ++k)
    EXPECT_GT(seen[k], 0) << "mutation kind " << mutation_name(static_cast<CaseMutation>(k)) << " never happened";
}

TEST(CaseMutator, RawMutationsKeepEveryCaseDefined) {
  // Value-level mutations chained on raw records, each output fully checked.
  const std::vector<std::vector<uint8_t>> seeds = seed_records();
  for (size_t s = 1; s < 6; s += 2) {
    std::vector<uint8_t> current = seeds[s];
    for (uint64_t i = 0; i < 200; ++i) {
      const MutationOutcome m = mutate_case_record(current, kMaxSize, i + 1000 * s);
      ASSERT_EQ(acceptance_problem(m.bytes), "") << "seed " << s << " step " << i << " (" << mutation_name(m.kind) << ")";
      current = m.bytes;
    }
  }
}

TEST(CaseMutator, SameSeedSameResult) {
  for (const std::vector<uint8_t>& seed_record : seed_records()) {
    for (uint64_t seed : {0ull, 1ull, 42ull, 0xdeadbeefull}) {
      const MutationOutcome a = mutate_case_record(seed_record, kMaxSize, seed);
      const MutationOutcome b = mutate_case_record(seed_record, kMaxSize, seed);
      EXPECT_EQ(a.bytes, b.bytes);
      EXPECT_EQ(a.kind, b.kind);
    }
  }
}

TEST(CaseMutator, RespectsMaxSize) {
  const std::vector<std::vector<uint8_t>> seeds = seed_records();
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const MutationOutcome m = mutate_case_record(seeds[1], 1024, seed);  // a raw record never fits in 1 KiB
    EXPECT_LE(m.bytes.size(), 1024u);
    EXPECT_TRUE(decode_case_record(m.bytes, attention_decode_limits()).record.has_value());
  }
}

}  // namespace
}  // namespace flashcheck::fuzz
