// `flashcheck exhaustive`: every f32 (or the first --limit of them) through an
// element-format encoder, graded against the oracle's exact codec. `--encoder oracle`
// checks the fast decision table against encode() itself; `--encoder cuda` grades
// NVIDIA's host conversion for the format and policy (docs/formats.md).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "oracle/exhaustive/exhaustive_checker.hpp"
#include "oracle/exhaustive/expectation.hpp"
#include "oracle/exhaustive/nvidia_encoders.hpp"
#include "oracle/exhaustive/policy_string.hpp"
#include "oracle/formats/element_codec.hpp"

namespace flashcheck::cli {
namespace {

using exhaustive::CheckReport;
using exhaustive::BlockEncoder;
using exhaustive::blockwise;
using exhaustive::Expectation;
using exhaustive::NvidiaConversion;

struct ExhaustiveOptions {
  std::string format;
  std::string policy;  // empty: the format's default policy
  std::string encoder = "oracle";
  unsigned threads = 0;
  uint64_t limit = exhaustive::kAllInputs;
  size_t examples = 10;
};

const formats::ElementFormat& chosen_format(const std::string& name) {
  try {
    return formats::element_format(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

formats::EncodePolicy chosen_policy(const formats::ElementFormat& f, const std::string& text) {
  try {
    const formats::EncodePolicy p = text.empty() ? formats::default_policy(f) : exhaustive::parse_policy_string(text);
    formats::check_policy(f, p);
    return p;
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

const NvidiaConversion& chosen_conversion(const formats::ElementFormat& f, const formats::EncodePolicy& p) {
  if (exhaustive::nvidia_conversions().empty())
    throw UsageError("--encoder cuda: built without NVIDIA's cuda_fp8.h (set FLASHCHECK_CUDA_INCLUDE and reconfigure)");
  if (const NvidiaConversion* c = exhaustive::find_nvidia_conversion(f.name, p)) return *c;
  std::string offered;
  for (const NvidiaConversion& c : exhaustive::nvidia_conversions())
    if (c.format == f.name) offered += "\n  " + exhaustive::policy_string(c.policy) + "  (" + std::string(c.call) + ")";
  throw UsageError(fmt::format("--encoder cuda: no NVIDIA conversion implements {} with policy {}; available:{}",
                               f.name, exhaustive::policy_string(p), offered.empty() ? " none" : offered));
}

// A bar redrawn in place on a terminal; periodic plain lines in logs.
std::function<void(uint64_t, uint64_t)> progress_printer(bool terminal, std::chrono::steady_clock::time_point start) {
  return [terminal, start](uint64_t done, uint64_t total) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
    if (terminal) {
      constexpr int kWidth = 40;
      const int filled = static_cast<int>(fraction * kWidth);
      fmt::print(stderr, "\r[{}{}] {:5.1f}%  {:.3g} inputs/s  eta {:.0f} s ", std::string(size_t(filled), '#'),
                 std::string(size_t(kWidth - filled), ' '), 100.0 * fraction, rate, eta);
      if (done == total) fmt::print(stderr, "\n");
    } else {
      fmt::print(stderr, "progress: {}/{} inputs ({:.1f}%), {:.1f} s, {:.3g} inputs/s\n", done, total,
                 100.0 * fraction, seconds, rate);
    }
    std::fflush(stderr);
  };
}

int run_exhaustive(const ExhaustiveOptions& opts) {
  const formats::ElementFormat& f = chosen_format(opts.format);
  const formats::EncodePolicy policy = chosen_policy(f, opts.policy);
  const NvidiaConversion* nvidia = opts.encoder == "cuda" ? &chosen_conversion(f, policy) : nullptr;

  const Expectation expect(f, policy, nvidia ? nvidia->deviations : std::span<const exhaustive::Deviation>{});
  const Expectation plain(f, policy);  // the oracle encoder under test: encode() with no deviations
  const BlockEncoder got =
      nvidia ? BlockEncoder(nvidia->convert_block) : blockwise([&plain](uint32_t b) { return plain.oracle_code(b); });
  const BlockEncoder expected = [&expect](std::span<const uint32_t> in, std::span<uint8_t> out) {
    expect.code_block(in, out);
  };

  const unsigned threads = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  fmt::print("exhaustive: {} with {}\n", f.name, exhaustive::policy_string(policy));
  fmt::print("  encoder:  {}\n", nvidia ? std::string(nvidia->call) : std::string("oracle encode() (self-check)"));
  fmt::print("  expected: decision table of the oracle's encode(), {} + {} runs\n", expect.table().run_count(false),
             expect.table().run_count(true));
  if (nvidia)
    for (const exhaustive::Deviation& d : nvidia->deviations)
      fmt::print("  documented deviation: {}: {}\n", exhaustive::name(d.inputs), d.reason);
  fmt::print("  inputs:   {} f32 bit patterns from 0x00000000, {} threads\n", opts.limit, threads);
  std::fflush(stdout);

  const bool terminal = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  exhaustive::SweepOptions sweep;
  sweep.count = opts.limit;
  sweep.threads = threads;
  sweep.max_examples = opts.examples;
  sweep.progress = progress_printer(terminal, start);
  sweep.progress_interval = std::chrono::milliseconds(terminal ? 250 : 10000);
  const CheckReport report = exhaustive::check_sweep(got, expected, sweep);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  fmt::print("{}", exhaustive::describe(report));
  fmt::print("{}: {} inputs in {:.2f} s ({:.3g} inputs/s)\n", report.passed() ? "PASS" : "FAIL", report.checked,
             seconds, seconds > 0 ? static_cast<double>(report.checked) / seconds : 0.0);
  return report.passed() ? kExitPass : kExitFail;
}

}  // namespace

Command add_exhaustive_command(CLI::App& root) {
  auto opts = std::make_shared<ExhaustiveOptions>();
  CLI::App* app = root.add_subcommand(
      "exhaustive", "Sweep every f32 through an element-format encoder and compare with the exact oracle");
  app->add_option("--format", opts->format, "Element format: fp8_e4m3, fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1, e8m0")
      ->required()
      ->type_name("NAME");
  app->add_option("--policy", opts->policy,
                  "Encode policy 'rounding,overflow,nan', e.g. nearest_even,saturate,to_nan (default: the "
                  "format's default policy)")
      ->type_name("R,O,N");
  app->add_option("--encoder", opts->encoder, "Encoder under test: oracle (self-check) or cuda (NVIDIA's conversion)")
      ->check(CLI::IsMember({"oracle", "cuda"}))
      ->capture_default_str();
  app->add_option("--threads", opts->threads, "Worker threads (0: all cores)")
      ->check(CLI::Range(0u, 4096u))
      ->capture_default_str();
  app->add_option("--limit", opts->limit, "Check only the first N bit patterns (default: all 2^32)")
      ->check(CLI::Range(uint64_t{1}, exhaustive::kAllInputs))
      ->type_name("N");
  app->add_option("--examples", opts->examples, "Mismatches to print")->check(CLI::Range(0, 100000))->capture_default_str();
  return {app, [opts] { return run_exhaustive(*opts); }};
}

}  // namespace flashcheck::cli
