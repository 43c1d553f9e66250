// fuzz_lse_merge: the split-KV merge of per-chunk partials (flash-decoding's second pass)
// against the exact oracle. The oracle evaluates, in one case, every chunk as its own query
// row (keys outside the chunk masked) plus the full row; the chunks' exact results, rounded
// to f32, become the records the subjects merge:
//   cpu-splitkv merge_partials (impls/cpu_splitkv/split_merge.hpp; sinks included), and
//   the ESIMD model's reduce kernel run_reduce (impls/models/esimd_splitkv; no sinks).
// The contract (derivation below and in fuzz/README.md): merged LSE and O within bounds
// derived from the partials' rounding and the merge's f32 operations; a row with no visible
// key and no sink gives O = 0 and LSE = -inf; an empty chunk never makes a NaN.
//
// Input layout (zeros past the end):
//   [0] lk - 1 (mod 64)  [1] dk - 1 (mod 8)  [2] dv - 1 (mod 8)  [3] chunks - 1 (mod 8)
//   [4] flags: bit0 sink, bit1 records as (chunk max, sum) instead of (LSE, 1),
//       bits2-3 magnitude class of q/k/v, bits4-5 mask mode (none, per-key bits, all keys,
//       one whole chunk)
//   [5..13) chunk cut points (each mod lk + 1; the first chunks - 1 are used, sorted)
//   [13..21) per-key mask bits (64)   [21] masked chunk   [22..26) sink (f32 bits, exponent
//   folded)   then q [dk], k [lk][dk], v [lk][dv] as f32 bits (exponent folded)
//
// Error bound of the merge (u = 2^-24, k = number of non-empty chunks, n = k + 1 with a sink).
// Record i represents L_i = m_i + ln(l_i) for the chunk's exact LSE*_i:
//   records (LSE, 1): m_i = fl(LSE*_i), so |L_i - LSE*_i| <= 0.5 ulp(LSE*_i);
//   records (max, sum): l_i = fl(exp(LSE*_i - m_i)) (evaluated in double), |L_i - LSE*_i| <= 1.01 u.
// O_i = fl(O*_i): |O_i - O*_i| <= u |O*_i|.
// merge_partials: m = max m_i is exact; t_i = fl(m_i - m) errs by u |m_i - m|; expf errs by
// at most 1 ulp (<= 2u relative, glibc documents < 1 ulp); w_i = fl(e_i l_i) by u. So
// w_i = exp(L_i - m) exp(eta_i) with |eta_i| <= u |m_i - m| + 3u + O(u^2). The sink term
// exp(S - m) likewise has |eta_s| <= u |S - m| + 2u. The sum of n positive terms errs by at
// most (n - 1) u relative. Hence ln(sum) is off by at most
//   D = max_i |L_i - LSE*_i| + max_i |eta_i| + (n - 1) u
// from ln(sum exp(LSE*_i - m)), and LSE = fl(m + fl(ln sum)) adds 1 ulp of ln(sum) (2u |ln sum|)
// and 0.5 ulp of the result (u |LSE|):     |LSE - LSE*| <= D + 2u |ln sum| + u |LSE| .
// O = fl(sum_i fl(w_i O_i) / sum): each weight w_i / sum equals the exact p_i = exp(LSE*_i - LSE*)
// times exp(zeta_i), |zeta_i| <= 2D (its own perturbation and the normaliser's), so
//   |O - O*| <= (u + (exp(2D) - 1) + (k + 2) u) sum_i p_i |O_i| + (2k + 2) 2^-150
// (u: the records' rounding; k + 1 roundings of the products and the running sum; one of the
// division; 2^-150 per operation near underflow). The ESIMD reduce first forms
// lse_i = fl(m_i + fl(ln l_i)) (2u |ln l_i| + u |lse_i| more per record), then weights
// exp(fl(lse_i - max)) (u |lse_i - max| + 2u) clamped to 0 below exp(-80), and divides as
// above: the same bound with those terms in D, k e^-80 more in D for the normaliser's lost
// weights, and the whole term p_i |O_i| of every dropped chunk added to the bound of O.
// Every bound is multiplied by 1.01 and widened by 2^-140 for the double evaluation of the
// bound itself and the oracle's double-rounded reference (nearest double to the exact value).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#include "core/attention_case.hpp"
#include "core/tensor.hpp"
#include "fuzz/support/fuzz_fail.hpp"
#include "fuzz/support/fuzz_input.hpp"
#include "impls/cpu_splitkv/split_merge.hpp"
#include "impls/models/esimd_splitkv/splitkv_kernels.hpp"
#include "oracle/attention_oracle.hpp"

namespace {

using namespace flashcheck;
using flashcheck::fuzz::FuzzInput;
using flashcheck::fuzz::fuzz_fail;
using flashcheck::fuzz::print_value;

constexpr int64_t kMaxKeys = 64;
constexpr int64_t kMaxDim = 8;
constexpr int64_t kMaxChunks = 8;
constexpr double kU = 0x1p-24;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
enum class MaskMode : uint8_t { none, per_key, all_keys, one_chunk };

struct Problem {
  int64_t lk = 1, dk = 1, dv = 1, chunks = 1;
  bool sink = false, max_sum_records = false;
  float sink_value = 0.0f;
  std::vector<int64_t> cut;      // chunk c holds keys [cut[c], cut[c + 1])
  std::vector<uint8_t> visible;  // per key
  std::vector<float> q, k, v;    // [dk], [lk][dk], [lk][dv]
};

// f32 bits with the exponent folded into [-max_exp - 2, max_exp]: values stay moderate so
// the bounds stay sharp; exponent field 0 gives zero (signed).
float moderate_f32(uint32_t bits, int max_exp) {
  const uint32_t sign = bits & 0x80000000u;
  const uint32_t field = (bits >> 23) & 0xFFu;
  if (field == 0) return std::bit_cast<float>(sign);
  const auto span = static_cast<uint32_t>(2 * max_exp + 3);
  const int exponent = static_cast<int>(field % span) - max_exp - 2;
  const uint32_t biased = static_cast<uint32_t>(exponent + 127);
  return std::bit_cast<float>(sign | (biased << 23) | (bits & 0x7FFFFFu));
}

Problem read_problem(FuzzInput& in) {
  Problem p;
  p.lk = 1 + in.below(kMaxKeys);
  p.dk = 1 + in.below(kMaxDim);
  p.dv = 1 + in.below(kMaxDim);
  p.chunks = 1 + in.below(kMaxChunks);
  const uint8_t flags = in.u8();
  p.sink = (flags & 1u) != 0;
  p.max_sum_records = (flags & 2u) != 0;
  static constexpr std::array<int, 4> kMaxExponent{0, 2, 4, 6};
  const int max_exp = kMaxExponent[(flags >> 2) & 3u];
  const auto mode = static_cast<MaskMode>((flags >> 4) & 3u);

  std::array<int64_t, kMaxChunks> cuts{};
  for (int64_t& c : cuts) c = in.below(static_cast<uint32_t>(p.lk + 1));
  std::sort(cuts.begin(), cuts.begin() + (p.chunks - 1));
  p.cut.push_back(0);
  for (int64_t c = 0; c + 1 < p.chunks; ++c) p.cut.push_back(cuts[static_cast<size_t>(c)]);
  p.cut.push_back(p.lk);

  const uint64_t mask_bits = in.u64();
  const uint32_t masked_chunk = in.below(static_cast<uint32_t>(p.chunks));
  p.visible.assign(static_cast<size_t>(p.lk), 1);
  for (int64_t j = 0; j < p.lk; ++j) {
    bool hide = false;
    switch (mode) {
      case MaskMode::none: break;
      case MaskMode::per_key: hide = ((mask_bits >> j) & 1u) != 0; break;
      case MaskMode::all_keys: hide = true; break;
      case MaskMode::one_chunk:
        hide = j >= p.cut[masked_chunk] && j < p.cut[masked_chunk + 1];
        break;
    }
    p.visible[static_cast<size_t>(j)] = hide ? 0 : 1;
  }
  p.sink_value = moderate_f32(in.u32(), 2 * max_exp + 3);  // scores reach dk * 2^(2 max_exp + 2)
  auto fill = [&](std::vector<float>& t, int64_t n) {
    t.resize(static_cast<size_t>(n));
    for (float& x : t) x = moderate_f32(in.u32(), max_exp);
  };
  fill(p.q, p.dk);
  fill(p.k, p.lk * p.dk);
  fill(p.v, p.lk * p.dv);
  return p;
}

// One query row per chunk (keys outside it masked), then the full row.
AttentionCase make_case(const Problem& p, bool with_sink, bool chunk_rows) {
  AttentionCase c;
  c.family = "fuzz_lse_merge";
  const int64_t rows = chunk_rows ? p.chunks + 1 : 1;
  c.shape = CaseShape{1, 1, 1, rows, p.lk, p.dk, p.dv};
  c.q_type = c.k_type = c.v_type = c.o_type = DType::f32;
  c.mask_kind = MaskKind::explicit_only;
  c.q = Tensor::make(DType::f32, {1, 1, rows, p.dk});
  c.k = Tensor::make(DType::f32, {1, 1, p.lk, p.dk});
  c.v = Tensor::make(DType::f32, {1, 1, p.lk, p.dv});
  Tensor mask = Tensor::make(DType::f32, {1, 1, rows, p.lk});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < p.dk; ++d) c.q.set(0, 0, r, d, static_cast<double>(p.q[static_cast<size_t>(d)]));
  for (int64_t j = 0; j < p.lk; ++j) {
    for (int64_t d = 0; d < p.dk; ++d) c.k.set(0, 0, j, d, static_cast<double>(p.k[static_cast<size_t>(j * p.dk + d)]));
    for (int64_t d = 0; d < p.dv; ++d) c.v.set(0, 0, j, d, static_cast<double>(p.v[static_cast<size_t>(j * p.dv + d)]));
  }
  const double hidden = -std::numeric_limits<double>::infinity();
  for (int64_t r = 0; r < rows; ++r) {
    const bool full_row = r == rows - 1;
    for (int64_t j = 0; j < p.lk; ++j) {
      const bool in_chunk = full_row || (j >= p.cut[static_cast<size_t>(r)] && j < p.cut[static_cast<size_t>(r) + 1]);
      mask.set(0, 0, r, j, in_chunk && p.visible[static_cast<size_t>(j)] ? 0.0 : hidden);
    }
  }
  c.mask = std::move(mask);
  if (with_sink) c.sinks = {p.sink_value};
  return c;
}

// The chunk's largest score as a kernel would hold it (f32); -inf when nothing is visible.
float chunk_max_score(const Problem& p, int64_t chunk) {
  double best = -std::numeric_limits<double>::infinity();
  for (int64_t j = p.cut[static_cast<size_t>(chunk)]; j < p.cut[static_cast<size_t>(chunk) + 1]; ++j) {
    if (!p.visible[static_cast<size_t>(j)]) continue;
    double s = 0.0;
    for (int64_t d = 0; d < p.dk; ++d)
      s += static_cast<double>(p.q[static_cast<size_t>(d)]) * static_cast<double>(p.k[static_cast<size_t>(j * p.dk + d)]);
    best = std::max(best, s);
  }
  return static_cast<float>(best);
}

struct Partial {
  float m = kNegInf, l = 0.0f;  // the record's max and sum (l = 0: empty chunk)
  std::vector<float> o;         // O*_i rounded to f32
  double lse_exact = -std::numeric_limits<double>::infinity();
  double representation_error = 0.0;  // |L_i - LSE*_i|
  bool empty() const { return l == 0.0f; }
};

double half_ulp(double x) {
  const auto f = static_cast<float>(std::fabs(x));
  return 0.5 * (static_cast<double>(std::nextafter(f, std::numeric_limits<float>::infinity())) - static_cast<double>(f));
}

std::vector<Partial> make_partials(const Problem& p, const OracleResult& r) {
  std::vector<Partial> out(static_cast<size_t>(p.chunks));
  for (int64_t c = 0; c < p.chunks; ++c) {
    Partial& part = out[static_cast<size_t>(c)];
    part.o.assign(static_cast<size_t>(p.dv), 0.0f);
    if (r.fully_masked[static_cast<size_t>(c)]) continue;
    part.lse_exact = r.lse_exact[static_cast<size_t>(c)];
    for (int64_t d = 0; d < p.dv; ++d) part.o[static_cast<size_t>(d)] = r.o[static_cast<size_t>(c * p.dv + d)];
    if (p.max_sum_records) {
      part.m = chunk_max_score(p, c);
      part.l = static_cast<float>(std::exp(part.lse_exact - static_cast<double>(part.m)));
      part.representation_error = 1.01 * kU * (1.0 + std::fabs(part.lse_exact) * 0x1p-50);
    } else {
      part.m = r.lse[static_cast<size_t>(c)];
      part.l = 1.0f;
      part.representation_error = half_ulp(part.lse_exact) + std::fabs(part.lse_exact) * 0x1p-52;
    }
  }
  return out;
}

struct Reference {
  double lse = -std::numeric_limits<double>::infinity();
  std::vector<double> o;
  bool fully_masked = true;
};

void print_problem(const Problem& p, const std::vector<Partial>& parts) {
  std::fprintf(stderr, "  lk %lld, dk %lld, dv %lld, chunks %lld, sink %s, records %s\n", static_cast<long long>(p.lk),
               static_cast<long long>(p.dk), static_cast<long long>(p.dv), static_cast<long long>(p.chunks),
               p.sink ? "yes" : "no", p.max_sum_records ? "(max, sum)" : "(lse, 1)");
  if (p.sink) print_value("sink", p.sink_value);
  for (size_t c = 0; c < parts.size(); ++c) {
    std::fprintf(stderr, "  chunk %zu keys [%lld, %lld): m = %a (%.9g), l = %a (%.9g), LSE* = %a (%.17g)\n", c,
                 static_cast<long long>(p.cut[c]), static_cast<long long>(p.cut[c + 1]),
                 static_cast<double>(parts[c].m), static_cast<double>(parts[c].m), static_cast<double>(parts[c].l),
                 static_cast<double>(parts[c].l), parts[c].lse_exact, parts[c].lse_exact);
    for (size_t d = 0; d < parts[c].o.size(); ++d)
      std::fprintf(stderr, "    O[%zu] = %a (%.9g)\n", d, static_cast<double>(parts[c].o[d]),
                   static_cast<double>(parts[c].o[d]));
  }
}

// D of the derivation for one merge implementation; m is the implementation's maximum.
double log_sum_error(const Problem& p, const std::vector<Partial>& parts, double m, bool esimd) {
  double worst = 0.0;
  int64_t terms = 0;
  for (const Partial& part : parts) {
    if (part.empty()) continue;
    ++terms;
    // merge_partials subtracts the record's m_i; the ESIMD reduce first forms lse_i = m_i + ln l_i.
    const double ln_l = std::log(static_cast<double>(part.l));
    const double lse_i = static_cast<double>(part.m) + ln_l;
    const double x_i = esimd ? lse_i : static_cast<double>(part.m);
    double e = part.representation_error + kU * std::fabs(x_i - m) + 3.0 * kU;
    if (esimd) e += 2.0 * kU * std::fabs(ln_l) + kU * std::fabs(lse_i);
    worst = std::max(worst, e);
  }
  if (p.sink && !esimd) {
    ++terms;
    worst = std::max(worst, kU * std::fabs(static_cast<double>(p.sink_value) - m) + 2.0 * kU);
  }
  double d = worst + static_cast<double>(std::max<int64_t>(terms - 1, 0)) * kU;
  if (esimd) d += static_cast<double>(terms) * std::exp(-80.0);
  return d;
}

void check_merged(const char* name, const Problem& p, const std::vector<Partial>& parts, const Reference& ref,
                  const float* o, float lse, bool has_lse, bool esimd) {
  auto fail_here = [&](const char* what, double expected, double got, double bound) {
    std::fprintf(stderr, "FUZZ FINDING: %s: %s\n", name, what);
    print_value("expected (oracle)", expected);
    print_value("got", got);
    print_value("bound", bound);
    print_problem(p, parts);
    fuzz_fail("%s: %s", name, what);
  };
  for (int64_t d = 0; d < p.dv; ++d)
    if (std::isnan(o[d])) fail_here("NaN in the merged O", ref.o[static_cast<size_t>(d)], static_cast<double>(o[d]), 0.0);
  if (ref.fully_masked) {
    for (int64_t d = 0; d < p.dv; ++d)
      if (o[d] != 0.0f) fail_here("a row with no visible key must give O = 0", 0.0, static_cast<double>(o[d]), 0.0);
    if (has_lse && lse != kNegInf)
      fail_here("a row with no visible key must give LSE = -inf", -INFINITY, static_cast<double>(lse), 0.0);
    return;
  }
  double m = -std::numeric_limits<double>::infinity();
  for (const Partial& part : parts)
    if (!part.empty()) m = std::max(m, esimd ? static_cast<double>(part.m) + std::log(static_cast<double>(part.l))
                                             : static_cast<double>(part.m));
  if (p.sink && !esimd) m = std::max(m, static_cast<double>(p.sink_value));
  const double big_d = log_sum_error(p, parts, m, esimd);
  if (has_lse) {
    const double ln_sum = static_cast<double>(lse) - m;
    const double bound = 1.01 * (big_d + 2.0 * kU * std::fabs(ln_sum) + kU * std::fabs(static_cast<double>(lse))) + 0x1p-140;
    if (!(std::fabs(static_cast<double>(lse) - ref.lse) <= bound))
      fail_here("merged LSE outside its bound", ref.lse, static_cast<double>(lse), bound);
  }
  // sum_i p_i |O_i| with the exact chunk weights.
  double envelope = 0.0;
  std::vector<double> weight(parts.size(), 0.0);
  for (size_t c = 0; c < parts.size(); ++c)
    if (!parts[c].empty()) weight[c] = std::exp(parts[c].lse_exact - ref.lse);
  const auto k = static_cast<double>(parts.size());
  const double relative = kU + std::expm1(2.0 * big_d) + (k + 2.0) * kU;
  // The ESIMD reduce drops a chunk whose weight it computes below exp(-80): that chunk's whole
  // term p_i |O_i| is lost, not a relative part of it (the margin 79.5 covers the weights' error).
  std::vector<uint8_t> dropped(parts.size(), 0);
  if (esimd)
    for (size_t c = 0; c < parts.size(); ++c)
      if (!parts[c].empty())
        dropped[c] = static_cast<double>(parts[c].m) + std::log(static_cast<double>(parts[c].l)) - m < -79.5 ? 1 : 0;
  for (int64_t d = 0; d < p.dv; ++d) {
    envelope = 0.0;
    double lost = 0.0;
    for (size_t c = 0; c < parts.size(); ++c) {
      const double term = weight[c] * std::fabs(static_cast<double>(parts[c].o[static_cast<size_t>(d)]));
      envelope += term;
      if (dropped[c]) lost += term;
    }
    const double bound = 1.01 * (relative * envelope + lost + (2.0 * k + 2.0) * 0x1p-150) + 0x1p-140;
    const double err = std::fabs(static_cast<double>(o[d]) - ref.o[static_cast<size_t>(d)]);
    if (!(err <= bound)) fail_here("merged O outside its bound", ref.o[static_cast<size_t>(d)], static_cast<double>(o[d]), bound);
  }
}

void check_splitkv(const Problem& p, const std::vector<Partial>& parts, const Reference& ref) {
  const int64_t stride = splitkv::partial_record_floats(p.dv);
  std::array<float, kMaxChunks * (kMaxDim + 2)> records{};
  for (size_t c = 0; c < parts.size(); ++c) {
    float* rec = records.data() + static_cast<int64_t>(c) * stride;
    rec[0] = parts[c].m;
    rec[1] = parts[c].l;
    std::copy(parts[c].o.begin(), parts[c].o.end(), rec + 2);
  }
  std::array<float, kMaxDim> o{};
  const float lse = splitkv::merge_partials(records.data(), p.chunks, p.dv, p.sink ? &p.sink_value : nullptr,
                                            splitkv::MergeBugs{}, o.data());
  check_merged("cpu_splitkv merge_partials", p, parts, ref, o.data(), lse, true, false);
}

void check_esimd(const Problem& p, const std::vector<Partial>& parts, const Reference& ref) {
  namespace esimd = models::esimd;
  esimd::SplitKvArgs a;
  a.dk = p.dk;
  a.dv = p.dv;
  a.partition_tokens = esimd::kBc;
  a.lk = p.chunks * esimd::kBc;  // one partition per chunk: the reduce only reads the partials
  esimd::Partials partials(a);
  for (size_t c = 0; c < parts.size(); ++c) {
    if (parts[c].empty()) continue;  // as the sub-kernel leaves it: max kMaskedScore, sum 0, out 0
    partials.row_max[c] = parts[c].m;
    partials.row_sum[c] = parts[c].l;
    std::copy(parts[c].o.begin(), parts[c].o.end(), partials.out.begin() + static_cast<int64_t>(c) * p.dv);
  }
  std::array<float, kMaxDim> o{};
  esimd::run_reduce(a, partials, 0, o.data());
  check_merged("esimd run_reduce", p, parts, ref, o.data(), 0.0f, false, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const Problem p = read_problem(in);
  OracleOptions opts;
  opts.threads = 1;
  const OracleResult chunks = run_oracle(make_case(p, false, true), opts);
  const std::vector<Partial> parts = make_partials(p, chunks);

  Reference ref;
  if (p.sink) {
    const OracleResult full = run_oracle(make_case(p, true, false), opts);
    ref.lse = full.lse_exact[0];
    ref.o = full.o_exact;
    ref.fully_masked = full.fully_masked[0] != 0;
  } else {
    const auto row = static_cast<size_t>(p.chunks);
    ref.lse = chunks.lse_exact[row];
    ref.o.assign(chunks.o_exact.begin() + static_cast<int64_t>(row) * p.dv,
                 chunks.o_exact.begin() + static_cast<int64_t>(row + 1) * p.dv);
    ref.fully_masked = chunks.fully_masked[row] != 0;
  }
  check_splitkv(p, parts, ref);
  if (!p.sink) check_esimd(p, parts, ref);
  return 0;
}
