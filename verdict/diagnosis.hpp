#pragma once
// Diagnosis: the bug class of a failing verdict, named by cheap follow-up probes on the
// saved case. Each probe changes one thing about the case (or only reruns it), runs the
// subject and, where the answer changes, the oracle again, and records what it showed
// as one evidence line. Probes run from the most specific class to the least:
//
//   nondeterminism      a rerun of the same input changes the result beyond the budget
//   thread-dependence   another worker-thread count changes it beyond the budget
//   nan-from-inf        non-finite values other than the oracle's; or non-finite values
//                       where the oracle is finite that go away once the non-finite inputs
//                       at hidden keys, or the mask's -inf entries, are made finite
//   lse-base            O passes, the LSE is off by the factor 1/ln2 or ln2 (as a whole,
//                       or above the row maximum: max + log2(sum))
//   masked-key-leak     K/V at keys hidden from every row change O (finite garbage)
//   nan-from-inf        a causal / window mask fails but passes when an explicit mask
//                       repeats it with a finite sentinel: the kernel's own -inf fails
//   masked-key-leak     K/V at other hidden keys change O, or rows ignore (or react to)
//                       keys at the mask's boundary where the oracle says otherwise
//   layout-mismatch     quantized K/V whose failure goes away with the same values given
//                       as plain f32 K/V, or with the bytes in the other row layout
//   overflow            the failure goes away with V scaled down by a power of two
//   nan-from-inf        non-finite values that stay with Q = 0 and no mask (every score
//                       0): the kernel's own infinities or sentinels make them
//   drift               finite errors of rounding size (at most 4x those of the textbook
//                       kernel in f16) that grow with Lk faster than the contract
//                       reference's (verdict/drift.hpp, on key prefixes), or that are the
//                       size a 16-bit accumulator makes: over 1/32 of the f16 textbook's
//                       and 8x the contract reference's
//   wrong-result        anything else
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backend.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck {

inline constexpr std::array<std::string_view, 9> kBugClasses{
    "drift",           "overflow",       "nan-from-inf",      "masked-key-leak", "lse-base",
    "layout-mismatch", "nondeterminism", "thread-dependence", "wrong-result"};

struct Diagnosis {
  std::string bug_class;               // one of kBugClasses
  std::vector<std::string> evidence;   // one line per probe (and per census): what it showed
  std::vector<std::string> probes;     // the probes run, in order
  int subject_runs = 0;                // what the diagnosis cost
  int oracle_runs = 0;
};

// How a probe's variant case is judged: the verdict the failing one came from.
using VerdictFn = std::function<Verdict(const AttentionCase&, const OracleResult&, const RunOutput&)>;

struct DiagnosisOptions {
  // The output the failing verdict judged; the subject is run again when absent.
  const RunOutput* failing_output = nullptr;
  VerdictFn judge_with;  // judge(c, oracle, out) when empty
  // The contract lets the kernel read K/V at masked keys (see AbsoluteRuleOptions).
  bool masked_kv_may_be_read = false;
  BudgetParams budget;  // the budget two runs of one input must agree within
  // The contract's arithmetic (core/contract.hpp): drift is error beyond what the
  // textbook kernel in these precisions makes.
  DType operands = DType::f32, accumulation = DType::f32;
  int threads_a = 1, threads_b = 3;
  int oracle_threads = 0;
};

// `oracle` is the case's oracle with the default options for its O dtype; `failing` the
// verdict that failed. The subject's thread count is left at 0 (hardware concurrency).
Diagnosis diagnose(Backend& b, const AttentionCase& c, const OracleResult& oracle, const Verdict& failing,
                   const DiagnosisOptions& o = {});

// "bug class: <class>" and the evidence lines, one per line.
std::string describe(const Diagnosis& d);

}  // namespace flashcheck
