#pragma once
// Reading a bundle back (docs/bundle-protocol.md): its manifest, each runner's
// results.json, and a runner's o.npy / lse.npy for one case as a RunOutput the verdict
// can judge. Every problem is an exception or an error result naming the file and what
// is wrong, never a crash.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck::cli {

struct BundleManifestCase {
  std::string id;
  std::string case_file;  // <bundle>/cases/<id>/case.fcase
};

struct BundleManifest {
  std::string flashcheck_version;
  std::vector<BundleManifestCase> cases;
};

// Throws std::runtime_error when manifest.json cannot be read, std::invalid_argument
// naming the field when it is not a bundle manifest this version reads.
BundleManifest load_bundle_manifest(const std::string& bundle_dir);

// A runner's verdict on one case as results.json states it.
struct RunnerCaseStatus {
  enum class Kind { ok, unsupported, error } kind = Kind::ok;
  std::string message;   // after "unsupported: " / "error: "
  std::string contract;  // a per-case contract, overriding the runner's; empty: the runner's
};

struct RunnerResults {
  std::string name;     // the directory under results/
  std::string dir;      // <bundle>/results/<name>
  std::string subject;  // what ran, e.g. "mlx-sdpa-cpu"
  std::string contract; // core/contract.hpp name it is graded under
  std::string device;
  std::string command;  // how the runner was started, when it says
  std::map<std::string, std::string> versions;
  std::map<std::string, RunnerCaseStatus> cases;
};

// Runner names under <bundle>/results/ that hold a results.json, sorted.
std::vector<std::string> bundle_runner_names(const std::string& bundle_dir);

// Throws std::runtime_error when results.json cannot be read, std::invalid_argument
// naming the field otherwise (unknown contract, malformed status, bad case id...).
RunnerResults load_runner_results(const std::string& bundle_dir, const std::string& runner);

// The runner's outputs for case `id`, checked against the case: o.npy of shape
// [batch][hq][lq][dv] in the case's O dtype ('<f4' / '<f2' / bf16 bits as '<u2'; '<f4'
// and '<f8' values exactly representable in the O dtype are taken too), lse.npy of shape
// [batch][hq][lq] ('<f4', or '<f8' rounded to f32), optional. An error result names the
// file and the problem.
RunResult load_runner_output(const RunnerResults& runner, const std::string& id, const AttentionCase& c);

// A subject whose one run is the recorded output: for the case it was recorded on (the
// very object), the output; any other case (a diagnosis probe's variant) is unsupported,
// since the device is not here to run it. Its capabilities take every case, so the
// grading never refuses what the runner already ran.
inline constexpr const char* kRecordedOnly =
    "a recorded output: the runner ran the bundle's case, not this variant of it";

class RecordedBackend : public Backend {
 public:
  RecordedBackend(std::string name, std::string contract, const AttentionCase& recorded_on, RunResult result);
  std::string name() const override { return name_; }
  std::string description() const override { return "outputs recorded by a bundle runner"; }
  Capabilities capabilities() const override;
  RunResult run(const AttentionCase& c) override;

 private:
  std::string name_, contract_;
  const AttentionCase* recorded_on_;
  RunResult result_;
};

}  // namespace flashcheck::cli
