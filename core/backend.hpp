#pragma once
// The interface every kernel under test ("subject") implements, and the registry
// that lists them. A backend sees only the case, never the oracle or another backend.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/attention_case.hpp"
#include "core/quantized_kv.hpp"

namespace flashcheck {

struct Capabilities {
  std::vector<DType> q_types{DType::f32};
  std::vector<DType> kv_types{DType::f32, DType::f16};
  std::vector<DType> o_types{DType::f32};
  bool causal = true;
  bool window = true;
  bool explicit_mask = true;
  bool alibi = true;
  bool softcap = true;
  bool sinks = true;
  bool gqa = true;
  bool strided = true;       // reads non-contiguous views
  bool dk_ne_dv = true;
  bool lse = true;           // also returns the log-sum-exp per row
  int64_t max_head_dim = 1024;
  // Block-quantized K/V read natively (block scheme names, see core/quantized_kv.hpp);
  // empty: the backend reads no quantized KV.
  std::vector<std::string> kv_schemes;
  std::vector<KvRowLayout> kv_layouts{KvRowLayout::aos};
  bool hadamard = false;  // rotates Q itself when K was Hadamard-rotated before quantizing
  // The contract the kernel promises (core/contract.hpp): it is graded under it. "fp32"
  // is the default (fp32 accumulation, O = 0 and LSE = -inf for fully masked rows,
  // masked K/V never read); another names what it does differently, and contract_note
  // says why (e.g. "fp16 softmax statistics and accumulator").
  std::string contract = "fp32";
  std::string contract_note;
};

// A seeded bug ("mutant") a subject can switch on: one row of docs/mutants.md.
struct MutantInfo {
  std::string name;         // the switch, e.g. "fp16-softmax-stats"
  std::string seed;         // the seed document it reproduces ("000".."004"), or "-"
  std::string bug_class;    // the diagnosis a verdict must give, e.g. "drift", "nan-from-inf"
  std::string description;  // what the bug is, in one sentence
};

struct RunOutput {
  Tensor o;                 // [batch][hq][lq][dv] in the case's o_type
  std::vector<float> lse;   // [batch][hq][lq], empty when the backend gives none
};

struct RunResult {
  enum class Status { ok, unsupported, error } status = Status::ok;
  std::string message;  // why unsupported, or the error
  RunOutput output;
  // An error that took the subject's process down (plugins run in a worker process):
  // the message is then the whole verdict, "crashed (signal 11, SIGSEGV)" or
  // "timed out after 2 s", and reports name the fault rather than a backend error.
  enum class Fault { none, crashed, timed_out } fault = Fault::none;
  static RunResult unsupported(std::string why) { return {Status::unsupported, std::move(why), {}, Fault::none}; }
  static RunResult error(std::string what) { return {Status::error, std::move(what), {}, Fault::none}; }
  static RunResult faulted(Fault f, std::string what) { return {Status::error, std::move(what), {}, f}; }
};

// "crashed", "timed_out" (as JSON and JUnit reports name a fault), "" for none.
std::string fault_name(RunResult::Fault f);

// Flags that make a subject from outside the build known to another flashcheck command
// (a plugin's "--plugin /abs/lib.so"); replay commands put them before --backend. Empty
// for builtin subjects. Set once per subject when its plugin is loaded.
void set_subject_origin_flags(const std::string& subject, std::string flags);
std::string subject_origin_flags(const std::string& spec);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  virtual Capabilities capabilities() const = 0;
  // Whether it can run on this machine (device present, ISA available...); why not otherwise.
  virtual bool available(std::string* why_not) const {
    (void)why_not;
    return true;
  }
  virtual RunResult run(const AttentionCase& c) = 0;
  // Sets how many worker threads later runs spread their rows or chunks over (0: the
  // hardware concurrency, the default). False when the subject has no thread count to
  // choose (one device launch, one process); its runs are then unchanged.
  virtual bool set_threads(int threads) {
    (void)threads;
    return false;
  }
  // The seeded bugs this subject can be built with (see Registry::make).
  virtual std::vector<MutantInfo> mutants() const { return {}; }
};

// "subject" or "subject@mutant": how a backend (with a seeded bug) is named everywhere.
std::string backend_spec(const std::string& subject, const std::string& mutant);
// Splits a spec at its first '@' into {subject, mutant} (mutant empty without one).
std::pair<std::string, std::string> split_backend_spec(const std::string& spec);

// Why a backend with these capabilities cannot take the case, or nullopt.
std::optional<std::string> unsupported_reason(const Capabilities& caps, const AttentionCase& c);

// What is wrong with a backend's output for this case (O dtype, shape, strides within
// its storage, LSE size), or an empty string when nothing is.
std::string output_problem(const AttentionCase& c, const RunOutput& out);

// Checks support, then runs; also turns exceptions into RunResult errors so a
// misbehaving subject never takes the harness down.
RunResult run_checked(Backend& b, const AttentionCase& c);

class Registry {
 public:
  // Builds the subject with the named mutant switched on ("" for the correct kernel).
  // A backend built with a mutant reports backend_spec(subject, mutant) as its name.
  using Factory = std::function<std::unique_ptr<Backend>(const std::string& mutant)>;
  void add(std::string name, Factory f);
  // For subjects without mutants.
  void add(std::string name, std::function<std::unique_ptr<Backend>()> f);
  std::vector<std::string> names() const;
  // spec is "subject" or "subject@mutant". nullptr when the subject is unknown; an
  // unknown mutant throws std::invalid_argument naming the subject's mutants.
  std::unique_ptr<Backend> make(const std::string& spec) const;

 private:
  std::vector<std::pair<std::string, Factory>> entries_;
};

}  // namespace flashcheck
