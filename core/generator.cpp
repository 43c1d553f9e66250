#include "core/generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Portable random stream. mt19937_64's output is fixed by the standard; the standard
// distributions are not, so the transforms are written out here to keep a recipe's
// case identical under every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1), 53 bits
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool coin(double p) { return uniform() < p; }
  double sign() { return coin(0.5) ? -1.0 : 1.0; }
  int64_t index(int64_t n) {  // [0, n)
    return std::min(n - 1, static_cast<int64_t>(uniform() * static_cast<double>(n)));
  }
  double normal() {  // Box-Muller; the second value of each pair is kept for the next call
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: the log stays finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Independent streams per purpose, so changing the mask pattern leaves Q/K/V untouched.
uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (stream + 1);  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
enum Stream : uint64_t { kStreamData = 1, kStreamMask = 2, kStreamSinks = 3 };

// Visits logical indices in a fixed order, so the layout never changes the values.
template <class ValueFn>
void fill(Tensor& t, ValueFn&& value) {
  for (int64_t i0 = 0; i0 < t.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < t.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < t.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < t.shape[3]; ++i3) t.set(i0, i1, i2, i3, value(i0, i1, i2, i3));
}

void fill_normal(Tensor& t, Rng& rng, double sigma) {
  fill(t, [&](auto...) { return sigma * rng.normal(); });
}
void fill_uniform(Tensor& t, Rng& rng, double lo, double hi) {
  fill(t, [&](auto...) { return rng.uniform(lo, hi); });
}

// The scale the scores are formed with (a zero scale would make every target unreachable).
double effective_scale(const AttentionCase& c) {
  return c.scale != 0.0f ? static_cast<double>(c.scale) : 1.0 / std::sqrt(static_cast<double>(c.shape.dk));
}
// Default-scale score magnitude of unit-variance Q and K entries.
double unit_score_rms(const AttentionCase& c) {
  return std::fabs(effective_scale(c)) * std::sqrt(static_cast<double>(c.shape.dk));
}
// Standard deviation of Q and K entries that makes the score RMS equal `target` for any Dk:
// a Dk-term dot product of N(0, s^2) entries has standard deviation s^2 sqrt(Dk).
double qk_sigma_for_score(const AttentionCase& c, double target) { return std::sqrt(target / unit_score_rms(c)); }

bool key_visible(const AttentionCase& c, int64_t i, int64_t j) { return c.bias(i, j) != -kInf; }

std::vector<int64_t> fully_masked_columns(const AttentionCase& c) {
  std::vector<int64_t> cols;
  for (int64_t j = 0; j < c.shape.lk; ++j) {
    bool hidden_everywhere = true;
    for (int64_t i = 0; i < c.shape.lq && hidden_everywhere; ++i) hidden_everywhere = !key_visible(c, i, j);
    if (hidden_everywhere) cols.push_back(j);
  }
  return cols;
}

Tensor& explicit_mask(AttentionCase& c, Layout layout) {
  if (!c.mask) c.mask = Tensor::make(DType::f16, {1, 1, c.shape.lq, c.shape.lk}, layout);  // ggml's mask type
  return *c.mask;
}

void mask_columns_everywhere(AttentionCase& c, Layout layout, const std::vector<int64_t>& cols) {
  Tensor& m = explicit_mask(c, layout);
  for (int64_t j : cols)
    for (int64_t i = 0; i < c.shape.lq; ++i) m.set(0, 0, i, j, -kInf);
  if (c.mask_kind == MaskKind::none) c.mask_kind = MaskKind::explicit_only;
}

// ---------------------------------------------------------------------------------------
// Distributions. Each fills Q, K, V and returns the typical score magnitude it aims for
// (sinks are drawn around it).

constexpr double kLargeScore = 50.0;
constexpr double kHugeScore = 0x1.0p18;  // four times the f16 maximum
constexpr double kPeakScore = 32.0;      // e^-32: every other key's weight vanishes in f32

double dist_uniform(AttentionCase& c, Rng& rng) {
  fill_uniform(c.q, rng, -1.0, 1.0);
  fill_uniform(c.k, rng, -1.0, 1.0);
  fill_uniform(c.v, rng, -1.0, 1.0);
  return unit_score_rms(c) / 3.0;  // U(-1,1) has variance 1/3
}

double dist_normal(AttentionCase& c, Rng& rng) {
  fill_normal(c.q, rng, 1.0);
  fill_normal(c.k, rng, 1.0);
  fill_normal(c.v, rng, 1.0);
  return unit_score_rms(c);
}

// All keys of a (batch, kv head) share one row, so every score of a query row is the same
// value: softmax weights are exactly uniform.
void fill_flat_scores(AttentionCase& c, Rng& rng) {
  fill_normal(c.q, rng, 1.0);
  std::vector<double> row(static_cast<size_t>(c.shape.dk));
  for (int64_t b = 0; b < c.shape.batch; ++b)
    for (int64_t g = 0; g < c.shape.hkv; ++g) {
      for (double& x : row) x = rng.normal();
      for (int64_t j = 0; j < c.shape.lk; ++j)
        for (int64_t d = 0; d < c.shape.dk; ++d) c.k.set(b, g, j, d, row[static_cast<size_t>(d)]);
    }
}

double dist_flat(AttentionCase& c, Rng& rng) {
  fill_flat_scores(c, rng);
  fill_normal(c.v, rng, 1.0);
  return unit_score_rms(c);
}

double dist_same_sign_v(AttentionCase& c, Rng& rng) {
  fill_flat_scores(c, rng);
  fill_uniform(c.v, rng, 0.5, 1.0);
  return unit_score_rms(c);
}

// Each query row points along one (visible) key, scaled so that key's score is kPeakScore;
// the other scores are that times a cosine of random directions, ~N(0, kPeakScore^2 / Dk).
double dist_peaked(AttentionCase& c, Rng& rng) {
  fill_normal(c.k, rng, 1.0);
  fill_normal(c.v, rng, 1.0);
  const double scale = effective_scale(c);
  std::vector<int64_t> visible;
  for (int64_t i = 0; i < c.shape.lq; ++i) {
    visible.clear();
    for (int64_t j = 0; j < c.shape.lk; ++j)
      if (key_visible(c, i, j)) visible.push_back(j);
    for (int64_t b = 0; b < c.shape.batch; ++b)
      for (int64_t h = 0; h < c.shape.hq; ++h) {
        const int64_t j = visible.empty() ? rng.index(c.shape.lk)
                                          : visible[static_cast<size_t>(rng.index(static_cast<int64_t>(visible.size())))];
        const int64_t g = c.kv_head(h);
        double norm2 = 0.0;
        for (int64_t d = 0; d < c.shape.dk; ++d) norm2 += c.k.get(b, g, j, d) * c.k.get(b, g, j, d);
        double alpha = norm2 > 0.0 ? kPeakScore / (scale * norm2) : 0.0;
        // A tiny key (Dk = 1 draws them) would need a huge Q: cap Q entries at 1/16 of
        // the Q dtype's maximum so they stay finite; that key then just peaks less.
        double kmax = 0.0;
        for (int64_t d = 0; d < c.shape.dk; ++d) kmax = std::max(kmax, std::fabs(c.k.get(b, g, j, d)));
        const double qcap = traits(c.q_type).format.max_finite() / 16.0;
        if (kmax > 0.0 && alpha * kmax > qcap) alpha = qcap / kmax;
        for (int64_t d = 0; d < c.shape.dk; ++d) c.q.set(b, h, i, d, alpha * c.k.get(b, g, j, d));
      }
  }
  return kPeakScore;
}

double dist_large_scores(AttentionCase& c, Rng& rng) {
  const double sigma = qk_sigma_for_score(c, kLargeScore);
  fill_normal(c.q, rng, sigma);
  fill_normal(c.k, rng, sigma);
  fill_normal(c.v, rng, 1.0);
  return kLargeScore;
}

// Scores far beyond f16 while each Q/K entry stays a modest finite value of its dtype:
// the magnitude comes from the Dk-term sum, which is what overflows a half accumulator.
double dist_huge_scores(AttentionCase& c, Rng& rng) {
  const double entry_limit = std::min(traits(c.q_type).format.max_finite(), traits(c.k_type).format.max_finite());
  const double sigma = std::min(qk_sigma_for_score(c, kHugeScore), entry_limit / 16.0);
  fill(c.q, [&](auto...) { return std::clamp(sigma * rng.normal(), -entry_limit, entry_limit); });
  fill(c.k, [&](auto...) { return std::clamp(sigma * rng.normal(), -entry_limit, entry_limit); });
  fill_normal(c.v, rng, 1.0);
  return kHugeScore;
}

double dist_large_v(AttentionCase& c, Rng& rng) {
  fill_normal(c.q, rng, 1.0);
  fill_normal(c.k, rng, 1.0);
  const double lo = std::log(100.0), hi = std::log(60000.0);
  fill(c.v, [&](auto...) { return rng.sign() * std::exp(rng.uniform(lo, hi)); });
  return unit_score_rms(c);
}

// A random +-0 or subnormal of the format (smallest, largest, or any in between).
double tiny_value(const BinaryFormat& f, Rng& rng) {
  const double sub = f.min_subnormal();
  const double count = std::ldexp(1.0, f.precision - 1) - 1.0;  // subnormals per sign
  double magnitude = 0.0;
  switch (rng.index(4)) {
    case 0: magnitude = 0.0; break;
    case 1: magnitude = sub; break;
    case 2: magnitude = count * sub; break;
    default: magnitude = std::floor(rng.uniform(1.0, count + 1.0)) * sub; break;
  }
  return rng.sign() * magnitude;
}

void sprinkle_tiny(Tensor& t, Rng& rng) {
  const BinaryFormat f = traits(t.dtype).format;
  fill(t, [&](auto...) { return rng.coin(0.2) ? tiny_value(f, rng) : rng.normal(); });
}

// Puts +-inf / NaN into the rows of keys no query can see, at least one per row.
void poison_hidden_keys(Tensor& t, const std::vector<int64_t>& cols, Rng& rng) {
  constexpr std::array<double, 3> kNonFinite{kInf, -kInf, kNaN};
  for (int64_t b = 0; b < t.shape[0]; ++b)
    for (int64_t g = 0; g < t.shape[1]; ++g)
      for (int64_t j : cols) {
        const int64_t forced = rng.index(t.shape[3]);
        for (int64_t d = 0; d < t.shape[3]; ++d)
          if (d == forced || rng.coin(0.5)) t.set(b, g, j, d, kNonFinite[static_cast<size_t>(rng.index(3))]);
      }
}

// Relies on generate() having hidden some key columns from every row (needs_masked_keys).
double dist_special(AttentionCase& c, Rng& rng) {
  sprinkle_tiny(c.q, rng);
  sprinkle_tiny(c.k, rng);
  sprinkle_tiny(c.v, rng);
  const std::vector<int64_t> hidden = fully_masked_columns(c);
  poison_hidden_keys(c.k, hidden, rng);
  poison_hidden_keys(c.v, hidden, rng);
  return unit_score_rms(c);
}

struct DistributionEntry {
  Distribution info;
  double (*fill)(AttentionCase& c, Rng& rng);
};

constexpr std::array<DistributionEntry, 9> kDistributions{{
    {{"uniform", "Q, K, V ~ U(-1, 1)", false}, dist_uniform},
    {{"normal", "Q, K, V ~ N(0, 1)", false}, dist_normal},
    {{"flat", "all K rows of a head identical: every score of a row equal; V ~ N(0, 1)", false}, dist_flat},
    {{"peaked", "each query row aligned with one visible key: that score ~32, the rest far below", false},
     dist_peaked},
    {{"large_scores", "Q, K ~ N(0, s^2) with s chosen so the score RMS is 50", false}, dist_large_scores},
    {{"huge_scores", "score RMS 2^18, beyond the f16 range, with finite Q/K entries", false}, dist_huge_scores},
    {{"same_sign_v", "flat scores, V ~ U(0.5, 1): every term of the sums has one sign", false}, dist_same_sign_v},
    {{"large_v", "|V| log-uniform in [100, 60000] with random signs", false}, dist_large_v},
    {{"special", "+-0 and subnormals in Q/K/V; +-inf and NaN in K/V at keys hidden from every row", true},
     dist_special},
}};

const auto kDistributionInfo = [] {
  std::array<Distribution, kDistributions.size()> a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = kDistributions[i].info;
  return a;
}();

// ---------------------------------------------------------------------------------------
// Mask patterns.

constexpr int64_t kTile = 32;

void mask_none(AttentionCase&, const CaseRecipe&, Rng&) {}

void mask_causal(AttentionCase& c, const CaseRecipe&, Rng&) { c.mask_kind = MaskKind::causal; }

void mask_window(AttentionCase& c, const CaseRecipe& r, Rng&) {
  if (r.window < 1) throw std::invalid_argument(fmt::format("mask pattern 'window' needs window >= 1 (got {})", r.window));
  c.mask_kind = MaskKind::window;
  c.window = r.window;
}

void mask_random(AttentionCase& c, const CaseRecipe& r, Rng& rng) {
  Tensor& m = explicit_mask(c, r.layout);
  fill(m, [&](auto...) { return rng.coin(0.3) ? -kInf : -rng.uniform(); });
  c.mask_kind = MaskKind::explicit_only;
}

void mask_rows(AttentionCase& c, const CaseRecipe& r, Rng&) {
  Tensor& m = explicit_mask(c, r.layout);
  fill(m, [](int64_t, int64_t, int64_t i, int64_t) { return i % 7 == 0 ? -kInf : 0.0; });
  c.mask_kind = MaskKind::explicit_only;
}

// Checkerboard of 32x32 tiles, plus all of tile row 1 so some query rows lose every tile.
void mask_tiles(AttentionCase& c, const CaseRecipe& r, Rng&) {
  Tensor& m = explicit_mask(c, r.layout);
  fill(m, [](int64_t, int64_t, int64_t i, int64_t j) {
    const int64_t ti = i / kTile, tj = j / kTile;
    return (ti == 1 || (ti + tj) % 2 == 1) ? -kInf : 0.0;
  });
  c.mask_kind = MaskKind::explicit_only;
}

void mask_tile_edges(AttentionCase& c, const CaseRecipe& r, Rng&) {
  constexpr std::array<int64_t, 12> kEdges{15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129};
  std::vector<int64_t> cols;
  for (int64_t j : kEdges)
    if (j < c.shape.lk) cols.push_back(j);
  explicit_mask(c, r.layout);  // present even when Lk is below every edge, for a uniform shape
  mask_columns_everywhere(c, r.layout, cols);
  c.mask_kind = MaskKind::causal;
}

struct MaskPatternEntry {
  MaskPattern info;
  void (*apply)(AttentionCase& c, const CaseRecipe& r, Rng& rng);
};

constexpr std::array<MaskPatternEntry, 7> kMaskPatterns{{
    {{"none", "every key visible"}, mask_none},
    {{"causal", "key j visible to query i iff j <= i + (Lk - Lq)"}, mask_causal},
    {{"window", "causal sliding window of CaseRecipe::window keys"}, mask_window},
    {{"random", "explicit mask: ~30% of entries -inf, the rest biases in [-1, 0]"}, mask_random},
    {{"masked_rows", "explicit mask: rows 0, 7, 14, ... entirely -inf"}, mask_rows},
    {{"masked_tiles", "explicit mask: checkerboard of -inf 32x32 tiles, tile row 1 fully -inf"}, mask_tiles},
    {{"tile_edges", "causal plus -inf columns 15,16,17,31,32,33,63,64,65,127,128,129"}, mask_tile_edges},
}};

const auto kMaskPatternInfo = [] {
  std::array<MaskPattern, kMaskPatterns.size()> a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = kMaskPatterns[i].info;
  return a;
}();

// ---------------------------------------------------------------------------------------

template <class Entry, size_t N>
const Entry& lookup(const std::array<Entry, N>& table, std::string_view name, std::string_view what) {
  for (const Entry& e : table)
    if (e.info.name == name) return e;
  std::string valid;
  for (const Entry& e : table) valid += fmt::format("{}{}", valid.empty() ? "" : ", ", e.info.name);
  throw std::invalid_argument(fmt::format("unknown {} '{}' (valid: {})", what, name, valid));
}

void throw_if_invalid(const AttentionCase& c, const CaseRecipe& r) {
  const std::string errors = validate(c);
  if (!errors.empty()) throw std::invalid_argument(fmt::format("invalid case recipe ({}):\n{}", describe(r), errors));
}

std::string_view layout_name(Layout l) {
  constexpr std::array<std::pair<Layout, std::string_view>, 3> kNames{
      {{Layout::contiguous, "contiguous"}, {Layout::seq_major, "seq_major"}, {Layout::padded_rows, "padded_rows"}}};
  for (const auto& [id, name] : kNames)
    if (id == l) return name;
  return "?";
}

}  // namespace

std::span<const Distribution> all_distributions() { return kDistributionInfo; }

const Distribution* find_distribution(std::string_view name) {
  for (const Distribution& d : kDistributionInfo)
    if (d.name == name) return &d;
  return nullptr;
}

std::span<const MaskPattern> all_mask_patterns() { return kMaskPatternInfo; }

const MaskPattern* find_mask_pattern(std::string_view name) {
  for (const MaskPattern& m : kMaskPatternInfo)
    if (m.name == name) return &m;
  return nullptr;
}

namespace {

// Replaces K / V by their quantized form as the recipe asks (see CaseRecipe::k_quant).
void quantize_kv_of(AttentionCase& c, const CaseRecipe& r) {
  if (r.hadamard && r.k_quant.empty()) throw std::invalid_argument("--hadamard rotates quantized K: it needs --k-quant");
  if (r.k_quant.empty() && r.v_quant.empty()) {
    if (r.v_nan_scale) throw std::invalid_argument("--v-nan-scale needs --v-quant");
    return;
  }
  if (const Distribution* d = find_distribution(r.distribution); d && d->needs_masked_keys)
    throw std::invalid_argument(fmt::format(
        "distribution '{}' puts inf/NaN into K/V, which block quantization cannot hold; choose another with quantized KV",
        r.distribution));
  auto quantize = [&](Tensor& t, DType& type, std::optional<QuantizedKv>& slot, const std::string& scheme,
                      bool rotate) {
    if (scheme.empty()) return;
    Tensor dequantized;
    slot = quantize_kv(t, KvQuantSpec{scheme, r.kv_layout, rotate}, &dequantized);
    t = std::move(dequantized);
    type = DType::f32;
  };
  quantize(c.k, c.k_type, c.k_quant, r.k_quant, r.hadamard);
  quantize(c.v, c.v_type, c.v_quant, r.v_quant, false);
  if (r.v_nan_scale) {
    if (!c.v_quant || !is_mx_scale_scheme(r.v_quant))
      throw std::invalid_argument("--v-nan-scale needs --v-quant with an OCP MX scheme (an E8M0 scale where 0xFF is NaN)");
    set_e8m0_scale_byte(*c.v_quant, 0, c.shape.lk - 1, 0, 0xFF);
    c.v = dequantize_kv(*c.v_quant);
  }
  if (r.hadamard) c.rotated_q = rotate_q_rows(c.q);
}

}  // namespace

namespace {

// Largest |N(0, 1)| draw Rng::normal can return: sqrt(-2 ln 2^-53) < 8.6.
constexpr double kMaxNormalDraw = 8.6;

std::string unknown_name_problem(std::string_view what, std::string_view name, auto names) {
  std::string valid;
  for (const auto& n : names) valid += fmt::format("{}{}", valid.empty() ? "" : ", ", n.name);
  return fmt::format("unknown {} '{}' (valid: {})\n", what, name, valid);
}

bool known_dtype(DType t) {
  for (const DTypeTraits& d : all_dtypes())
    if (d.id == t) return true;
  return false;
}

// Tensor element counts in double: exact enough for a limit, immune to overflow.
double elements(std::initializer_list<int64_t> dims) {
  double n = 1.0;
  for (int64_t d : dims) n *= static_cast<double>(d);
  return n;
}

}  // namespace

std::string recipe_problem(const CaseRecipe& r) {
  std::string p;
  auto fail = [&](std::string msg) { p += msg + "\n"; };
  const Distribution* dist = find_distribution(r.distribution);
  if (!dist) p += unknown_name_problem("distribution", r.distribution, kDistributionInfo);
  if (!find_mask_pattern(r.mask)) p += unknown_name_problem("mask pattern", r.mask, kMaskPatternInfo);
  const struct {
    const char* name;
    DType t;
  } types[] = {{"q_type", r.q_type}, {"k_type", r.k_type}, {"v_type", r.v_type}, {"o_type", r.o_type}};
  bool types_ok = true;
  for (const auto& t : types)
    if (!known_dtype(t.t)) {
      fail(fmt::format("{} is not a known dtype (code {})", t.name, static_cast<int>(t.t)));
      types_ok = false;
    }
  if (r.layout != Layout::contiguous && r.layout != Layout::seq_major && r.layout != Layout::padded_rows)
    fail(fmt::format("unknown layout code {}", static_cast<int>(r.layout)));
  if (r.kv_layout != KvRowLayout::aos && r.kv_layout != KvRowLayout::soa)
    fail(fmt::format("unknown KV row layout code {}", static_cast<int>(r.kv_layout)));

  const CaseShape& s = r.shape;
  const bool dims_ok = s.batch >= 1 && s.hq >= 1 && s.hkv >= 1 && s.lq >= 1 && s.lk >= 1 && s.dk >= 1 && s.dv >= 1;
  if (!dims_ok) {
    fail(fmt::format("every dimension must be >= 1 (got {})", describe_shape(s)));
  } else {
    const struct {
      const char* name;
      double n;
    } tensors[] = {{"Q", elements({s.batch, s.hq, s.lq, s.dk})},
                   {"K", elements({s.batch, s.hkv, s.lk, s.dk})},
                   {"V", elements({s.batch, s.hkv, s.lk, s.dv})},
                   {"mask", elements({s.lq, s.lk})}};
    for (const auto& t : tensors)
      if (t.n > 0x1.0p28)
        fail(fmt::format("case too large: {} would hold {:.0f} elements (limit 2^28) for {}", t.name, t.n,
                         describe_shape(s)));
    if (s.hq % s.hkv != 0)
      fail(fmt::format("Hq ({}) must be a multiple of Hkv ({}) for grouped-query attention", s.hq, s.hkv));
  }
  if (r.mask == "window" && r.window < 1) fail(fmt::format("mask pattern 'window' needs window >= 1 (got {})", r.window));
  if (r.scale && !std::isfinite(*r.scale)) fail("scale must be finite");
  if (!(r.softcap >= 0.0f) || !std::isfinite(r.softcap)) fail("softcap must be finite and >= 0");
  if (!(r.max_bias >= 0.0f) || !std::isfinite(r.max_bias)) fail("max_bias must be finite and >= 0");

  // Sinks are drawn around the distribution's typical score (at most the larger of the
  // unit score RMS and 2^18), scaled by up to 1 + kMaxNormalDraw: it must stay an f32.
  const double scale = r.scale && *r.scale != 0.0f ? std::fabs(static_cast<double>(*r.scale))
                                                   : 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(s.dk, 1)));
  const double unit_rms = scale * std::sqrt(static_cast<double>(std::max<int64_t>(s.dk, 1)));
  if (r.sinks && std::max(unit_rms, kHugeScore) * (1.0 + kMaxNormalDraw) > std::numeric_limits<float>::max())
    fail(fmt::format("sinks drawn around score magnitude {} would overflow f32: choose a smaller scale", unit_rms));

  if (r.hadamard && r.k_quant.empty()) fail("--hadamard rotates quantized K: it needs --k-quant");
  const bool quantized = !r.k_quant.empty() || !r.v_quant.empty();
  if (r.v_nan_scale && !is_mx_scale_scheme(r.v_quant))
    fail("--v-nan-scale needs --v-quant with an OCP MX scheme (an E8M0 scale where 0xFF is NaN)");
  if (quantized && dist && dist->needs_masked_keys)
    fail(fmt::format(
        "distribution '{}' puts inf/NaN into K/V, which block quantization cannot hold; choose another with quantized KV",
        r.distribution));
  const struct {
    const char* name;
    const std::string& scheme;
    int64_t dim;
    DType type;
  } kv[] = {{"K", r.k_quant, s.dk, r.k_type}, {"V", r.v_quant, s.dv, r.v_type}};
  for (const auto& q : kv) {
    if (q.scheme.empty()) continue;
    if (!is_kv_scheme(q.scheme)) {
      fail(fmt::format("unknown KV block scheme '{}' for {} (known: {})", q.scheme, q.name,
                       fmt::join(kv_scheme_names(), ", ")));
      continue;
    }
    if (q.dim % 32 != 0)
      fail(fmt::format("a {} row of {} needs a head dimension that is a multiple of 32 (got {})", q.scheme, q.name,
                       q.dim));
    // large_scores draws K with a standard deviation that grows as the scale shrinks;
    // quantization needs finite values, so every draw must stay inside K's dtype.
    if (q.name[0] == 'K' && r.distribution == "large_scores" && types_ok && dims_ok) {
      const double sigma = std::sqrt(kLargeScore / unit_rms);
      if (sigma * kMaxNormalDraw > traits(q.type).format.max_finite())
        fail(fmt::format("large_scores with scale {} draws K entries beyond {}'s range, which quantized K cannot hold",
                         scale, dtype_name(q.type)));
    }
  }
  return p;
}

AttentionCase generate(const CaseRecipe& r) {
  if (const std::string problem = recipe_problem(r); !problem.empty())
    throw std::invalid_argument(fmt::format("invalid case recipe:\n{}", problem));
  const DistributionEntry& dist = lookup(kDistributions, r.distribution, "distribution");
  const MaskPatternEntry& pattern = lookup(kMaskPatterns, r.mask, "mask pattern");

  AttentionCase c;
  c.family = fmt::format("{}/{}", r.distribution, r.mask);
  c.seed = r.seed;
  c.shape = r.shape;
  c.q_type = r.q_type;
  c.k_type = r.k_type;
  c.v_type = r.v_type;
  c.o_type = r.o_type;
  c.max_bias = r.max_bias;
  c.softcap = r.softcap;
  const CaseShape& s = r.shape;  // dimensions and sizes checked by recipe_problem()
  c.scale = r.scale.value_or(static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.dk))));
  c.q = Tensor::make(r.q_type, {s.batch, s.hq, s.lq, s.dk}, r.layout);
  c.k = Tensor::make(r.k_type, {s.batch, s.hkv, s.lk, s.dk}, r.layout);
  c.v = Tensor::make(r.v_type, {s.batch, s.hkv, s.lk, s.dv}, r.layout);

  Rng mask_rng(stream_seed(r.seed, kStreamMask));
  pattern.apply(c, r, mask_rng);
  throw_if_invalid(c, r);  // shape problems (Hq % Hkv, ...) before the fill relies on them

  if (dist.info.needs_masked_keys && fully_masked_columns(c).empty()) {
    // Hide a random eighth of the keys from every row (own Fisher-Yates: std::shuffle's
    // algorithm is unspecified, which would make cases library-dependent).
    std::vector<int64_t> cols(static_cast<size_t>(s.lk));
    for (int64_t j = 0; j < s.lk; ++j) cols[static_cast<size_t>(j)] = j;
    for (int64_t j = s.lk - 1; j > 0; --j) std::swap(cols[static_cast<size_t>(j)], cols[static_cast<size_t>(mask_rng.index(j + 1))]);
    cols.resize(static_cast<size_t>(std::max<int64_t>(1, s.lk / 8)));
    std::sort(cols.begin(), cols.end());
    mask_columns_everywhere(c, r.layout, cols);
  }

  Rng data_rng(stream_seed(r.seed, kStreamData));
  const double typical_score = dist.fill(c, data_rng);

  if (r.sinks) {
    Rng sink_rng(stream_seed(r.seed, kStreamSinks));
    c.sinks.resize(static_cast<size_t>(s.hq));
    for (float& sink : c.sinks) sink = static_cast<float>(typical_score * (sink_rng.normal() + 1.0));
  }
  quantize_kv_of(c, r);
  throw_if_invalid(c, r);
  return c;
}

std::string describe(const CaseRecipe& r) {
  std::string text = fmt::format("{} q={} k={} v={} o={} dist={} mask={}", describe_shape(r.shape), dtype_name(r.q_type),
                                 dtype_name(r.k_type), dtype_name(r.v_type), dtype_name(r.o_type), r.distribution, r.mask);
  if (r.mask == "window") text += fmt::format("({})", r.window);
  if (r.scale) text += fmt::format(" scale={}", *r.scale);
  if (r.max_bias > 0.0f) text += fmt::format(" alibi(max_bias={})", r.max_bias);
  if (r.softcap > 0.0f) text += fmt::format(" softcap={}", r.softcap);
  if (r.sinks) text += " sinks";
  if (r.layout != Layout::contiguous) text += fmt::format(" layout={}", layout_name(r.layout));
  if (!r.k_quant.empty()) text += fmt::format(" k_quant={}", r.k_quant);
  if (!r.v_quant.empty()) text += fmt::format(" v_quant={}", r.v_quant);
  if (!r.k_quant.empty() || !r.v_quant.empty()) text += fmt::format(" kv_layout={}", kv_row_layout_name(r.kv_layout));
  if (r.hadamard) text += " hadamard";
  if (r.v_nan_scale) text += " v_nan_scale";
  text += fmt::format(" seed={}", r.seed);
  return text;
}

}  // namespace flashcheck
