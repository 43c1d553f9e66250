#pragma once
// The interface every kernel under test ("subject") implements, and the registry
// that lists them. A backend sees only the case, never the oracle or another backend.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/attention_case.hpp"

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
};

struct RunOutput {
  Tensor o;                 // [batch][hq][lq][dv] in the case's o_type
  std::vector<float> lse;   // [batch][hq][lq], empty when the backend gives none
};

struct RunResult {
  enum class Status { ok, unsupported, error } status = Status::ok;
  std::string message;  // why unsupported, or the error
  RunOutput output;
  static RunResult unsupported(std::string why) { return {Status::unsupported, std::move(why), {}}; }
  static RunResult error(std::string what) { return {Status::error, std::move(what), {}}; }
};

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
};

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
  using Factory = std::function<std::unique_ptr<Backend>()>;
  void add(std::string name, Factory f);
  std::vector<std::string> names() const;
  std::unique_ptr<Backend> make(const std::string& name) const;  // nullptr when unknown

 private:
  std::vector<std::pair<std::string, Factory>> entries_;
};

}  // namespace flashcheck
