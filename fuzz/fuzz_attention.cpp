// fuzz_attention: a case record (core/case_codec.hpp) -> the exact oracle -> every
// in-process subject, each judged by the verdict engine exactly as
// `flashcheck run --case` judges it (cli/case_evaluation.hpp). A failing verdict or a
// subject error is a finding: the report is printed, the case saved as a binary record
// under $FLASHCHECK_ARTIFACTS, and the process aborts so libFuzzer keeps the input.
// Inputs are mutated in case space (fuzz/case_mutator.hpp), so nearly every execution
// reaches the kernels with a valid, small case.
//
// Environment:
//   FLASHCHECK_FUZZ_BACKENDS       comma-separated subjects (default: every available
//                                  in-process one, without device and emulated subjects)
//   FLASHCHECK_FUZZ_SUBJECTS_PER_INPUT  how many of them each input runs on, chosen by a
//                                  hash of the input (0: all; default: all in the replay
//                                  build, FLASHCHECK_FUZZ_DEFAULT_SUBJECTS_PER_INPUT under libFuzzer)
//   FLASHCHECK_ARTIFACTS           where findings are saved (default flashcheck-artifacts)
//   FLASHCHECK_FUZZ_VERBOSE=1      one line per subject and input: status and verdict
//   FLASHCHECK_FUZZ_TIMING=1       every 256 inputs: mean time spent decoding and
//                                  materializing, in the oracle, in subjects and judging
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/case_evaluation.hpp"
#include "cli/report_text.hpp"
#include "core/case_codec.hpp"
#include "core/case_file_naming.hpp"
#include "fuzz/attention_fuzz_case.hpp"
#include "fuzz/case_mutator.hpp"
#include "fuzz/support/fuzz_fail.hpp"
#include "impls/builtin_backends.hpp"

#ifndef FLASHCHECK_FUZZ_DEFAULT_SUBJECTS_PER_INPUT
#define FLASHCHECK_FUZZ_DEFAULT_SUBJECTS_PER_INPUT 0
#endif

namespace flashcheck::fuzz {
namespace {

// Subjects that run on a device, in another process, or under an emulator: too slow
// (or absent) for an in-process fuzzer; they can still be named explicitly.
bool excluded_by_default(std::string_view name) {
  constexpr std::string_view kPrefixes[] = {"opencl", "cuda", "cpu-neon"};
  for (std::string_view p : kPrefixes)
    if (name.starts_with(p)) return true;
  return false;
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

struct Subjects {
  std::vector<std::unique_ptr<Backend>> backends;
  size_t per_input = FLASHCHECK_FUZZ_DEFAULT_SUBJECTS_PER_INPUT;  // 0: all
  bool verbose = false;
  bool timing = false;
};

// Where an input's time goes (FLASHCHECK_FUZZ_TIMING=1), to keep executions cheap.
struct PhaseTimes {
  int64_t inputs = 0;
  double case_s = 0, oracle_s = 0, subjects_s = 0, total_s = 0;
  void report() const {
    const double n = static_cast<double>(inputs);
    std::fprintf(stderr, "fuzz_attention timing over %lld inputs (ms each): case %.3f oracle %.3f subjects %.3f "
                 "judging and the rest %.3f total %.3f\n", static_cast<long long>(inputs), 1e3 * case_s / n,
                 1e3 * oracle_s / n, 1e3 * subjects_s / n, 1e3 * (total_s - case_s - oracle_s - subjects_s) / n,
                 1e3 * total_s / n);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

[[noreturn]] void setup_error(const std::string& what) {
  std::fprintf(stderr, "fuzz_attention: %s\n", what.c_str());
  std::exit(2);
}

Subjects make_subjects() {
  Subjects s;
  const Registry& registry = builtin_registry();
  const char* requested = std::getenv("FLASHCHECK_FUZZ_BACKENDS");
  const bool explicit_list = requested != nullptr && *requested != '\0';
  const std::vector<std::string> names = explicit_list ? split_commas(requested) : registry.names();
  std::string chosen;
  for (const std::string& name : names) {
    if (!explicit_list && excluded_by_default(name)) continue;
    std::unique_ptr<Backend> b;
    try {
      b = registry.make(name);
    } catch (const std::exception& e) {
      setup_error(e.what());
    }
    if (!b) setup_error("unknown backend '" + name + "' in FLASHCHECK_FUZZ_BACKENDS");
    std::string why;
    if (!b->available(&why)) {
      if (explicit_list) setup_error("backend '" + name + "' is unavailable: " + why);
      continue;
    }
    b->set_threads(1);  // the fuzzer is the parallelism; a thread pool per run costs more than the case
    chosen += (chosen.empty() ? "" : ",") + name;
    s.backends.push_back(std::move(b));
  }
  if (s.backends.empty()) setup_error("no subject to run");
  if (const char* n = std::getenv("FLASHCHECK_FUZZ_SUBJECTS_PER_INPUT"); n != nullptr && *n != '\0')
    s.per_input = std::strtoull(n, nullptr, 10);
  const char* timing = std::getenv("FLASHCHECK_FUZZ_TIMING");
  s.timing = timing != nullptr && std::string_view(timing) == "1";
  const char* verbose = std::getenv("FLASHCHECK_FUZZ_VERBOSE");
  s.verbose = verbose != nullptr && std::string_view(verbose) == "1";
  std::fprintf(stderr, "fuzz_attention: subjects (%zu): %s; per input: %s\n", s.backends.size(), chosen.c_str(),
               s.per_input == 0 ? "all" : std::to_string(s.per_input).c_str());
  return s;
}

Subjects& subjects() {
  static Subjects s = make_subjects();
  return s;
}

uint64_t fnv1a(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

std::string artifact_dir() {
  const char* dir = std::getenv("FLASHCHECK_ARTIFACTS");
  return dir != nullptr && *dir != '\0' ? dir : "flashcheck-artifacts";
}

// Saves the failing record (the recipe when it was one: smaller and still exact) and
// returns its path, or why it could not be saved.
std::string save_finding(const CaseRecord& input, const cli::CaseOutcome& outcome, std::span<const uint8_t> bytes) {
  CaseRecord r = input;
  r.notes.name = "fuzz-attention-" + file_name_slug(outcome.backend, "backend");
  const std::string reason = outcome.verdict && !outcome.verdict->pass ? outcome.verdict->summary()
                                                                       : cli::status_name(outcome.status) + ": " + outcome.message;
  r.notes.summary = "fuzz_attention finding: " + outcome.backend + ": " + reason;
  if (r.notes.summary.size() > 200) r.notes.summary.resize(200);  // the decoder bounds note strings
  const std::string path = (std::filesystem::path(artifact_dir()) /
                            (r.notes.name + "-" + content_hash8(std::string_view(
                                                      reinterpret_cast<const char*>(bytes.data()), bytes.size())) +
                             ".fcase"))
                               .string();
  try {
    std::filesystem::create_directories(artifact_dir());
    save_case_record(path, r);
  } catch (const std::exception& e) {
    return std::string("(not saved: ") + e.what() + ")";
  }
  return path;
}

[[noreturn]] void report_finding(const CaseRecord& input, const cli::CaseOutcome& outcome,
                                 std::span<const uint8_t> bytes) {
  std::fprintf(stderr, "\n=== fuzz_attention: %s %s ===\n", outcome.backend.c_str(),
               cli::status_name(outcome.status).c_str());
  if (!outcome.message.empty()) std::fprintf(stderr, "message: %s\n", outcome.message.c_str());
  std::fprintf(stderr, "%s\n", cli::format_case_details(outcome).c_str());
  if (outcome.verdict) std::fprintf(stderr, "%s\n", cli::format_failure(outcome).c_str());
  const std::string saved = save_finding(input, outcome, bytes);
  std::fprintf(stderr, "case record: %s\nreplay: flashcheck run --backend %s --case %s\n", saved.c_str(),
               outcome.backend.c_str(), saved.c_str());
  fuzz_fail("%s: %s", outcome.backend.c_str(),
            outcome.verdict ? outcome.verdict->summary().c_str() : outcome.message.c_str());
}

const CaseShape& shape_of(const CaseRecord& r) {
  return r.is_recipe() ? std::get<CaseRecipe>(r.body).shape : std::get<AttentionCase>(r.body).shape;
}

}  // namespace
}  // namespace flashcheck::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  flashcheck::fuzz::subjects();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flashcheck;
  using namespace flashcheck::fuzz;
  const auto start = std::chrono::steady_clock::now();
  const std::span<const uint8_t> bytes(data, size);
  DecodeResult decoded = decode_case_record(bytes, attention_decode_limits());
  if (!decoded.record || !shape_limit_problem(shape_of(*decoded.record)).empty()) return 0;
  const CaseRecord& record = *decoded.record;
  AttentionCase c;
  try {
    c = materialize(record);
  } catch (const std::exception& e) {  // the codec promises a decoded recipe generates
    fuzz_fail("a decoded record does not materialize: %s", e.what());
  }
  if (!oracle_definedness_problem(c).empty()) return 0;  // out of the oracle's domain

  Subjects& s = subjects();
  static PhaseTimes times;
  const double case_s = seconds_since(start);
  double subjects_s = 0;
  const size_t n = s.backends.size();
  const size_t count = s.per_input == 0 || s.per_input >= n ? n : s.per_input;
  const size_t first = count == n ? 0 : static_cast<size_t>(fnv1a(bytes) % n);
  cli::LazyOracle oracle(c, cli::oracle_options_for(c, 1));
  for (size_t k = 0; k < count; ++k) {
    Backend& backend = *s.backends[(first + k) % n];
    const cli::CaseOutcome outcome = cli::evaluate_case(backend, c, oracle);
    if (s.verbose)
      std::fprintf(stderr, "  %s: %s %s\n", outcome.backend.c_str(), cli::status_name(outcome.status).c_str(),
                   outcome.verdict ? outcome.verdict->summary().c_str() : outcome.message.c_str());
    if (outcome.is_failure()) report_finding(record, outcome, bytes);
    subjects_s += outcome.backend_seconds;
  }
  if (s.timing) {
    times.case_s += case_s;
    times.oracle_s += oracle.seconds();
    times.subjects_s += subjects_s;
    times.total_s += seconds_since(start);
    if (++times.inputs % 256 == 0) times.report();
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  const flashcheck::fuzz::MutationOutcome m =
      flashcheck::fuzz::mutate_case_record(std::span<const uint8_t>(data, size), max_size, seed);
  std::copy(m.bytes.begin(), m.bytes.end(), data);
  return m.bytes.size();
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size, unsigned int seed) {
  const flashcheck::fuzz::MutationOutcome m = flashcheck::fuzz::cross_over_case_records(
      std::span<const uint8_t>(data1, size1), std::span<const uint8_t>(data2, size2), max_out_size, seed);
  std::copy(m.bytes.begin(), m.bytes.end(), out);
  return m.bytes.size();
}
