// Cost of the exact oracle against the plain attention loop in double and in long
// double, on one head (Lq=16, Lk=4096, Dk=Dv=128, f32 Q, f16 K/V, one thread).
// Runs are interleaved and repeated; medians and their ratios are printed, with the
// oracle's escalation rate. The stated goal: oracle <= 3x the naive double loop.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "bench/naive_attention.hpp"
#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"

namespace {

using namespace flashcheck;
using bench::DecodedHead;

struct Settings {
  int reps = 7;
  int64_t lq = 16, lk = 4096, d = 128;
};

constexpr double kSlowRunSeconds = 2.0;
constexpr int kSlowRunReps = 3;

constexpr const char* kUsage = "usage: bench_oracle [--reps N] [--lq N] [--lk N] [--d N]\n";

bool parse_positive(std::string_view text, int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

// Returns false (after printing why) on bad arguments.
bool parse_settings(int argc, char** argv, Settings& s) {
  for (int a = 1; a < argc; ++a) {
    const std::string_view flag = argv[a];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    int64_t value = 0;
    if (a + 1 >= argc || !parse_positive(argv[a + 1], value)) {
      std::fprintf(stderr, "bench_oracle: %s needs a positive integer\n%s", argv[a], kUsage);
      return false;
    }
    ++a;
    if (flag == "--reps") s.reps = static_cast<int>(std::min<int64_t>(value, 1000));
    else if (flag == "--lq") s.lq = value;
    else if (flag == "--lk") s.lk = value;
    else if (flag == "--d") s.d = value;
    else {
      std::fprintf(stderr, "bench_oracle: unknown option %s\n%s", argv[a - 1], kUsage);
      return false;
    }
  }
  return true;
}

DecodedHead decode_head(const AttentionCase& c) {
  DecodedHead h{c.shape.lq, c.shape.lk, c.shape.dk, c.shape.dv, static_cast<double>(c.scale), {}, {}, {}};
  for (int64_t i = 0; i < h.lq; ++i)
    for (int64_t d = 0; d < h.dk; ++d) h.q.push_back(c.q.get(0, 0, i, d));
  for (int64_t j = 0; j < h.lk; ++j) {
    for (int64_t d = 0; d < h.dk; ++d) h.k.push_back(c.k.get(0, 0, j, d));
    for (int64_t d = 0; d < h.dv; ++d) h.v.push_back(c.v.get(0, 0, j, d));
  }
  return h;
}

template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

template <class Real>
double max_abs_error(const std::vector<Real>& got, const std::vector<double>& exact) {
  double m = 0;
  for (size_t n = 0; n < got.size(); ++n) m = std::max(m, std::fabs(static_cast<double>(got[n]) - exact[n]));
  return m;
}

struct FamilyResult {
  int runs = 0;
  double oracle = 0, naive_double = 0, naive_long_double = 0;  // median seconds
  OracleStats stats;
  double double_error = 0, long_double_error = 0;  // max |O - exact| of the naive loops
};

FamilyResult measure(const std::string& distribution, const Settings& s, double& checksum) {
  CaseRecipe r;
  r.shape = {1, 1, 1, s.lq, s.lk, s.d, s.d};
  r.q_type = DType::f32;
  r.k_type = r.v_type = DType::f16;
  r.o_type = DType::f32;
  r.distribution = distribution;
  r.seed = 1;
  const AttentionCase c = generate(r);
  const DecodedHead head = decode_head(c);
  OracleOptions opts;
  opts.threads = 1;

  FamilyResult res;
  std::vector<double> t_oracle, t_double, t_long;
  // A family whose oracle run is slow (escalation-heavy) gets fewer repetitions, so
  // the whole printout stays within minutes; the runs column says how many.
  int reps = s.reps;
  for (int rep = 0; rep < reps; ++rep) {
    OracleResult oracle;
    bench::NaiveOutput<double> nd;
    bench::NaiveOutput<long double> nl;
    t_oracle.push_back(seconds([&] { oracle = run_oracle(c, opts); }));
    if (rep == 0 && t_oracle[0] > kSlowRunSeconds) reps = std::min(reps, kSlowRunReps);
    t_double.push_back(seconds([&] { nd = bench::naive_attention<double>(head); }));
    t_long.push_back(seconds([&] { nl = bench::naive_attention<long double>(head); }));
    checksum += static_cast<double>(oracle.o[0]) + nd.o[0] + static_cast<double>(nl.o[0]);
    res.stats = oracle.stats;
    res.double_error = max_abs_error(nd.o, oracle.o_exact);
    res.long_double_error = max_abs_error(nl.o, oracle.o_exact);
  }
  res.runs = reps;
  res.oracle = median(t_oracle);
  res.naive_double = median(t_double);
  res.naive_long_double = median(t_long);
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  if (!parse_settings(argc, argv, s)) return 2;
  std::printf("bench_oracle: B=1 Hq=Hkv=1 Lq=%lld Lk=%lld Dk=Dv=%lld, Q f32, K/V f16, O f32, one thread, "
              "median of up to %d interleaved runs (runs column)\n",
              static_cast<long long>(s.lq), static_cast<long long>(s.lk), static_cast<long long>(s.d), s.reps);
  std::printf("%-13s %4s %10s %10s %10s %9s %9s %10s %6s %10s %10s\n", "family", "runs", "oracle ms", "double ms",
              "ldouble ms", "or/dbl", "or/ldbl", "escalated", "exact", "dbl err", "ldbl err");
  double checksum = 0;
  double normal_ratio = 0;
  try {
    for (const char* family : {"normal", "flat", "same_sign_v", "large_scores"}) {
      const FamilyResult r = measure(family, s, checksum);
      const double ratio = r.oracle / r.naive_double;
      if (std::strcmp(family, "normal") == 0) normal_ratio = ratio;
      std::printf("%-13s %4d %10.3f %10.3f %10.3f %8.2fx %8.2fx %9.4f%% %6lld %10.2e %10.2e\n", family, r.runs,
                  r.oracle * 1e3, r.naive_double * 1e3, r.naive_long_double * 1e3, ratio,
                  r.oracle / r.naive_long_double, 100.0 * r.stats.escalation_rate(),
                  static_cast<long long>(r.stats.exact_path_elements), r.double_error, r.long_double_error);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_oracle: %s\n", e.what());
    return 1;
  }
  std::printf("goal (normal family): oracle <= 3x naive double: %.2fx, %s\n", normal_ratio,
              normal_ratio <= 3.0 ? "met" : "NOT met");
  std::printf("(checksum %g)\n", checksum);
  return 0;
}
