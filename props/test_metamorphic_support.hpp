#pragma once
// Shared by the metamorphic suites: every registered subject as a test parameter (one
// property body, instantiated per subject), cases drawn within a subject's capabilities,
// running and grading under the subject's own contract, and counterexample reports with
// floats in decimal and %a.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/contract.hpp"
#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"

namespace flashcheck {

// How RapidCheck prints a generated recipe in a counterexample.
inline void showValue(const CaseRecipe& r, std::ostream& os) { os << describe(r); }

namespace metamorphic {

// Every subject of builtin_registry() (the correct kernels; no mutants).
std::vector<std::string> registered_subjects();
// The test name of a subject: its name with '-' written '_' (GoogleTest allows no '-').
std::string subject_test_name(const ::testing::TestParamInfo<std::string>& info);

// Cases one property draws for a subject when RC_PARAMS sets no max_success. Subjects that
// run behind an emulator (NEON under qemu) or a CPU OpenCL runtime get fewer.
int default_case_count(const std::string& subject);

struct Subject {
  std::string name;
  std::unique_ptr<Backend> backend;
  Capabilities caps;
  const Contract* contract = nullptr;
  // Set when the subject declines every case with unquantized K/V (a KV write path):
  // its message. Properties then draw quantized K/V, or skip when they cannot.
  std::optional<std::string> declines_plain_kv;
};

// Which K/V storage a property's cases use.
enum class KvStorage { plain, quantized, either };

// What a property lets its cases vary. Every option is drawn only where the subject
// supports it (masks, ALiBi, soft-capping, sinks, GQA, strides, dtypes, head dims).
struct CaseSpace {
  std::vector<std::string> masks{"none", "causal", "window", "random", "masked_rows", "masked_tiles", "tile_edges"};
  std::vector<std::string> distributions{"uniform",     "normal",   "flat",   "peaked", "large_scores",
                                         "huge_scores", "same_sign_v", "large_v", "special"};
  bool alibi = true, softcap = true, sinks = true;
  int64_t min_gqa_ratio = 1;  // 2: every case has Hq > Hkv
  KvStorage kv = KvStorage::plain;
  bool quantized_v = true;  // with quantized storage: V may be quantized too
  bool hadamard = false;    // with quantized K: rotated (needs Capabilities::hadamard)
  int64_t max_lk = 300;
};

// Draws a recipe (RapidCheck generators, so failures shrink to small shapes) that the
// subject's capabilities allow.
CaseRecipe draw_recipe(const Subject& s, const CaseSpace& space);

// The value-parameterized fixture: builds the subject named by the parameter, skipping
// (with the reason) when it cannot run on this machine.
class SubjectProperty : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  const Subject& subject() const { return *subject_; }
  Backend& backend() { return *subject_->backend; }
  // Runs a RapidCheck property for this subject with its case count; a failure fails the
  // test with RapidCheck's shrunk counterexample and the property's message.
  void check(const std::function<void()>& property);

 private:
  std::optional<Subject> subject_;
};

// ---- inside a property (these report through RapidCheck's RC_FAIL / RC_DISCARD) ----

// Runs a kernel. A case the kernel declines at run time (beyond its capabilities, e.g. a
// head dim it has no kernel for) is discarded; an error fails with the case.
RunOutput run_or_discard(Backend& b, const AttentionCase& c);
OracleResult oracle_of(const AttentionCase& c);
// Discards a case the subject's contract promises nothing about (outside_contract).
void discard_outside_contract(const Subject& s, const AttentionCase& c);
// The verdict under the subject's contract must pass (a case outside the contract is
// discarded); else fails with the worst elements.
void require_verdict(const Subject& s, const AttentionCase& c, const OracleResult& oracle, const RunOutput& out,
                     const std::string& side);
// Fails the property with the message and the case; the counterexample RapidCheck ends
// with is saved as a case file (props/support/counterexample.hpp) and the failure names
// its path and the command that replays it.
[[noreturn]] void fail_with_case(const Subject& s, const AttentionCase& c, const std::string& why);

// The first element whose bits differ between two outputs of one shape (O as stored, then
// LSE), "got vs expected" in decimal and %a; "" when both are identical bit for bit.
std::string first_bit_difference(const RunOutput& got, const RunOutput& expected);
std::string value_text(double x);  // "decimal (%a)"
// One line naming what defines a case (shape, dtypes, mask, options, family, seed).
std::string describe_case(const AttentionCase& c);

}  // namespace metamorphic
}  // namespace flashcheck
