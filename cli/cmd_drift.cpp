// `flashcheck drift`: the error of one backend against Lk on adversarial inputs, its
// log-log slope beside the contract reference's, the drift diagnosis and a plot.
#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/backend_selection.hpp"
#include "cli/commands.hpp"
#include "cli/drift_plot.hpp"
#include "cli/exit_codes.hpp"
#include "cli/extra_backends.hpp"
#include "cli/report_json.hpp"
#include "core/generator.hpp"
#include "verdict/drift.hpp"

namespace flashcheck::cli {
namespace {

struct DriftOptions {
  std::string backend;
  int64_t max_lk = 131072;
  std::vector<std::string> distributions{"same_sign_v", "large_v", "uniform"};
  std::string kv_type = "f32";
  int64_t d = 64;
  uint64_t seed = 1;
  std::string plot = "drift.svg";
  std::string json_path;
  int threads = 0;
  ExtraBackendOptions extra;
};

std::string cell(double v) { return fmt::format("{:.3e}", v); }

void print_series(const DriftSeries& s) {
  fmt::print("\n{}\n", s.distribution);
  fmt::print("  {:>8}  {:>11}  {:>11}  {:>11}  {:>9}  {}\n", "Lk", "kernel", "reference", "budget", "ratio", "verdict");
  for (const DriftPoint& p : s.points) {
    if (!p.problem.empty()) {
      fmt::print("  {:>8}  {}\n", p.lk, p.problem);
      continue;
    }
    const double ratio = p.reference_error > 0 ? p.kernel_error / p.reference_error : 0.0;
    fmt::print("  {:>8}  {:>11}  {:>11}  {:>11}  {:>9.3g}  {}\n", p.lk, cell(p.kernel_error), cell(p.reference_error),
               cell(p.budget), ratio,
               p.verdict_pass ? "pass" : fmt::format("FAIL (error/budget {:.3g})", p.worst_budget_ratio));
  }
  fmt::print("  {}\n", s.diagnosis);
}

nlohmann::json to_json(const std::string& backend, const std::vector<DriftSeries>& all) {
  nlohmann::json j = {{"command", "drift"}, {"backend", backend}, {"series", nlohmann::json::array()}};
  for (const DriftSeries& s : all) {
    nlohmann::json pts = nlohmann::json::array();
    for (const DriftPoint& p : s.points)
      pts.push_back({{"lk", p.lk},
                     {"kernel_error", p.kernel_error},
                     {"reference_error", p.reference_error},
                     {"budget", p.budget},
                     {"verdict_pass", p.verdict_pass},
                     {"problem", p.problem}});
    auto slope = [](const SlopeFit& f) { return f.slope ? nlohmann::json(*f.slope) : nlohmann::json(nullptr); };
    j["series"].push_back({{"distribution", s.distribution},
                           {"points", pts},
                           {"kernel_slope", slope(s.kernel_fit)},
                           {"reference_slope", slope(s.reference_fit)},
                           {"drift", s.drift},
                           {"diagnosis", s.diagnosis}});
  }
  return j;
}

int run_drift_command(const DriftOptions& opts) {
  ensure_writable(opts.json_path);
  for (const auto& d : opts.distributions)
    if (!find_distribution(d)) throw UsageError(fmt::format("unknown distribution '{}' (see flashcheck list)", d));
  const auto kv = parse_dtype(opts.kv_type);
  if (!kv) throw UsageError(fmt::format("unknown --kv-type '{}' (f32, f16 or bf16)", opts.kv_type));
  const SessionRegistry session = session_registry(opts.extra);
  BackendSelection selection = select_backends(session.registry, {opts.backend});
  Backend& backend = *selection.backends.front();

  DriftPlan plan;
  plan.distributions = opts.distributions;
  plan.key_lengths = geometric_key_lengths(opts.max_lk);
  plan.shape.dk = plan.shape.dv = opts.d;
  plan.kv_type = *kv;
  plan.seed = opts.seed;
  plan.oracle_threads = opts.threads;
  fmt::print("drift of {} over Lk {} (B=1 Hq=4 Hkv=1 Lq=1 D={} K/V {}), fp32 contract reference\n", backend.name(),
             fmt::join(plan.key_lengths, " "), opts.d, opts.kv_type);
  fmt::print("errors: max |O - exact| / max|V| over the row's visible keys; budget: median per-element budget, same units\n");
  const std::vector<DriftSeries> all =
      run_drift(backend, plan, [](const std::string& line) { fmt::print(stderr, "  ... {}\n", line); });
  bool drift = false;
  for (const DriftSeries& s : all) {
    print_series(s);
    drift = drift || s.drift;
  }
  if (!opts.plot.empty()) {
    write_drift_plot(backend.name(), all, opts.plot);
    fmt::print("\nplot: {}\n", opts.plot);
  }
  if (!opts.json_path.empty()) write_json(opts.json_path, to_json(backend.name(), all));
  fmt::print("RESULT: {}\n", drift ? "DRIFT" : "no drift");
  return drift ? kExitFail : kExitPass;
}

}  // namespace

Command add_drift_command(CLI::App& root) {
  auto opts = std::make_shared<DriftOptions>();
  CLI::App* app = root.add_subcommand(
      "drift", "Sweep Lk on adversarial inputs, fit the error's log-log slope against the contract reference's, plot it");
  app->add_option("--backend", opts->backend, "Backend to sweep")->required()->type_name("NAME");
  app->add_option("--max-lk", opts->max_lk, "Largest key length (the sweep is 64, 256, ... x4 up to it)")
      ->check(CLI::Range(int64_t{64}, int64_t{1} << 24))
      ->capture_default_str();
  app->add_option("--dist", opts->distributions, "Distributions to sweep")->capture_default_str();
  app->add_option("--kv-type", opts->kv_type, "K/V storage type")->capture_default_str();
  app->add_option("--d", opts->d, "Head dimension (Dk = Dv)")->check(CLI::Range(1, 1024))->capture_default_str();
  app->add_option("--seed", opts->seed, "Generator seed")->capture_default_str();
  app->add_option("--plot", opts->plot, "Plot file (.svg or .png; empty: no plot)")->capture_default_str();
  app->add_option("--json", opts->json_path, "Also write the table as JSON to FILE ('-': standard output)")
      ->type_name("FILE");
  app->add_option("--threads", opts->threads, "Oracle worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  add_extra_backend_options(app, opts->extra);
  return {app, [opts] { return run_drift_command(*opts); }};
}

}  // namespace flashcheck::cli
