// Metamorphic relations of quantized K/V, on every subject that reads them: the AoS and
// SoA row layouts of the same blocks give the same bits, and Hadamard-rotated K with Q
// rotated by the kernel gives the answer of Q supplied already rotated.
#include <algorithm>
#include <fmt/format.h>
#include <string>

#include "core/case_transforms.hpp"
#include "props/test_metamorphic_support.hpp"

namespace flashcheck::metamorphic {
namespace {

bool reads_layout(const Capabilities& caps, KvRowLayout layout) {
  return std::find(caps.kv_layouts.begin(), caps.kv_layouts.end(), layout) != caps.kv_layouts.end();
}

// ---- (g) AoS and SoA rows hold the same values --------------------------------------

class AosSoaLayout : public SubjectProperty {};

// One recipe generated twice, with AoS and with SoA rows: the same scheme quantizes the
// same source values into the same blocks, only their bytes are arranged differently, so
// the kernel reads the same values and must give the same bits.
TEST_P(AosSoaLayout, holds) {
  const Capabilities& caps = subject().caps;
  if (caps.kv_schemes.empty()) GTEST_SKIP() << GetParam() << " reads no quantized K/V";
  if (!reads_layout(caps, KvRowLayout::aos) || !reads_layout(caps, KvRowLayout::soa))
    GTEST_SKIP() << GetParam() << " does not read both AoS and SoA rows";
  check([this] {
    CaseSpace space;
    space.kv = KvStorage::quantized;
    space.hadamard = *rc::gen::arbitrary<bool>();
    CaseRecipe recipe = draw_recipe(subject(), space);
    recipe.kv_layout = KvRowLayout::aos;
    const AttentionCase aos = generate(recipe);
    recipe.kv_layout = KvRowLayout::soa;
    const AttentionCase soa = generate(recipe);
    const RunOutput out_aos = run_or_discard(backend(), aos);
    const RunOutput out_soa = run_or_discard(backend(), soa);
    const std::string diff = first_bit_difference(out_soa, out_aos);
    if (!diff.empty()) fail_with_case(subject(), soa, "SoA rows vs AoS rows: " + diff);
  });
}

// ---- (h) Hadamard-rotated Q/K -------------------------------------------------------

class HadamardRotation : public SubjectProperty {};

// What is compared. A case with Hadamard-rotated quantized K asks the kernel to rotate Q
// itself; the oracle scores against the exactly rotated Q rounded to f32 (rotated_q).
// with_prerotated_q gives the kernel that rotated_q as Q and the same K bytes marked
// unrotated: the oracle reads exactly the same values, so both sides have one exact answer
// and each must pass the verdict against it (the rotated side's budget includes the error
// of the kernel's own fp32 rotation). The unrotated quantization of the same source values
// holds different values (its quantization error differs), so it is not compared with
// either: it is graded against its own oracle, so that the rotation is seen to change only
// what the two oracles say.
TEST_P(HadamardRotation, holds) {
  if (!subject().caps.hadamard) GTEST_SKIP() << GetParam() << " does not rotate Q for Hadamard-rotated K";
  check([this] {
    CaseSpace space;
    space.kv = KvStorage::quantized;
    space.hadamard = true;
    CaseRecipe recipe = draw_recipe(subject(), space);
    const AttentionCase rotated = generate(recipe);
    const AttentionCase prerotated = with_prerotated_q(rotated);
    const RunOutput out_rotated = run_or_discard(backend(), rotated);
    const RunOutput out_prerotated = run_or_discard(backend(), prerotated);
    const OracleResult oracle = oracle_of(rotated);
    require_verdict(subject(), rotated, oracle, out_rotated, "Hadamard-rotated K, Q rotated by the kernel");
    require_verdict(subject(), prerotated, oracle, out_prerotated, "the same K bytes, Q supplied rotated");

    recipe.hadamard = false;
    const AttentionCase unrotated = generate(recipe);
    require_verdict(subject(), unrotated, oracle_of(unrotated), run_or_discard(backend(), unrotated),
                    "the same source values quantized without rotation");
  });
}

INSTANTIATE_TEST_SUITE_P(Metamorphic, AosSoaLayout, ::testing::ValuesIn(registered_subjects()), subject_test_name);
INSTANTIATE_TEST_SUITE_P(Metamorphic, HadamardRotation, ::testing::ValuesIn(registered_subjects()),
                         subject_test_name);

}  // namespace
}  // namespace flashcheck::metamorphic
