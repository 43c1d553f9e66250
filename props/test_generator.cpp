// Case generator: determinism, each distribution's and each mask pattern's promise, and
// clear errors for bad recipes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/generator.hpp"

namespace flashcheck {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

CaseRecipe recipe(std::string dist, std::string mask, int64_t lq = 24, int64_t lk = 40, int64_t dk = 32) {
  CaseRecipe r;
  r.shape.batch = 2;
  r.shape.hq = 4;
  r.shape.hkv = 2;
  r.shape.lq = lq;
  r.shape.lk = lk;
  r.shape.dk = dk;
  r.shape.dv = 24;
  r.distribution = std::move(dist);
  r.mask = std::move(mask);
  r.seed = 7;
  return r;
}

// Score before softcap/bias, in double (exact enough for these checks).
double score(const AttentionCase& c, int64_t b, int64_t h, int64_t i, int64_t j) {
  double dot = 0.0;
  for (int64_t d = 0; d < c.shape.dk; ++d) dot += c.q.get(b, h, i, d) * c.k.get(b, c.kv_head(h), j, d);
  return static_cast<double>(c.scale) * dot;
}

template <class Fn>
void for_each_element(const Tensor& t, Fn&& fn) {
  for (int64_t a = 0; a < t.shape[0]; ++a)
    for (int64_t b = 0; b < t.shape[1]; ++b)
      for (int64_t s = 0; s < t.shape[2]; ++s)
        for (int64_t d = 0; d < t.shape[3]; ++d) fn(a, b, s, d, t.get(a, b, s, d));
}

bool hidden_from_every_row(const AttentionCase& c, int64_t j) {
  for (int64_t i = 0; i < c.shape.lq; ++i)
    if (c.bias(i, j) != -kInf) return false;
  return true;
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.strides == b.strides && a.storage == b.storage;
}

bool same_case(const AttentionCase& a, const AttentionCase& b) {
  const bool masks = a.mask.has_value() == b.mask.has_value() && (!a.mask || same_tensor(*a.mask, *b.mask));
  return masks && same_tensor(a.q, b.q) && same_tensor(a.k, b.k) && same_tensor(a.v, b.v) && a.sinks == b.sinks &&
         a.scale == b.scale && a.mask_kind == b.mask_kind && a.window == b.window;
}

std::string error_of(const CaseRecipe& r) {
  try {
    generate(r);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------------------

TEST(Generator, TablesListEveryNameOnce) {
  std::set<std::string_view> dists, masks;
  for (const Distribution& d : all_distributions()) {
    EXPECT_TRUE(dists.insert(d.name).second) << d.name;
    EXPECT_FALSE(d.description.empty());
    EXPECT_EQ(find_distribution(d.name), &d);
  }
  for (const MaskPattern& m : all_mask_patterns()) {
    EXPECT_TRUE(masks.insert(m.name).second) << m.name;
    EXPECT_EQ(find_mask_pattern(m.name), &m);
  }
  const std::set<std::string_view> want_dists{"uniform", "normal", "flat", "peaked", "large_scores",
                                              "huge_scores", "same_sign_v", "large_v", "special"};
  const std::set<std::string_view> want_masks{"none", "causal", "window", "random", "masked_rows", "masked_tiles",
                                              "tile_edges"};
  EXPECT_EQ(dists, want_dists);
  EXPECT_EQ(masks, want_masks);
  EXPECT_TRUE(find_distribution("special")->needs_masked_keys);
  EXPECT_FALSE(find_distribution("normal")->needs_masked_keys);
  EXPECT_EQ(find_distribution("gaussian"), nullptr);
  EXPECT_EQ(find_mask_pattern("diagonal"), nullptr);
}

TEST(Generator, SameRecipeSameBytesEveryCombination) {
  for (const Distribution& d : all_distributions())
    for (const MaskPattern& m : all_mask_patterns()) {
      CaseRecipe r = recipe(std::string(d.name), std::string(m.name), 9, 70, 16);
      r.window = 5;
      r.sinks = true;
      const AttentionCase a = generate(r);
      const AttentionCase b = generate(r);
      ASSERT_TRUE(same_case(a, b)) << describe(r);
      EXPECT_EQ(validate(a), "") << describe(r);
      r.seed += 1;
      ASSERT_FALSE(same_tensor(a.v, generate(r).v)) << describe(r);
    }
}

RC_GTEST_PROP(Generator, RandomRecipesAreDeterministicAndValid, ()) {
  const auto& dists = all_distributions();
  const auto& masks = all_mask_patterns();
  CaseRecipe r;
  r.shape.batch = *rc::gen::inRange<int64_t>(1, 3);
  r.shape.hkv = *rc::gen::inRange<int64_t>(1, 4);
  r.shape.hq = r.shape.hkv * *rc::gen::inRange<int64_t>(1, 4);
  r.shape.lq = *rc::gen::inRange<int64_t>(1, 40);
  r.shape.lk = *rc::gen::inRange<int64_t>(1, 80);
  r.shape.dk = *rc::gen::inRange<int64_t>(1, 70);
  r.shape.dv = *rc::gen::inRange<int64_t>(1, 70);
  r.q_type = *rc::gen::element(DType::f32, DType::f16, DType::bf16);
  r.k_type = *rc::gen::element(DType::f32, DType::f16, DType::bf16);
  r.v_type = *rc::gen::element(DType::f32, DType::f16, DType::bf16);
  r.distribution = std::string(dists[*rc::gen::inRange<size_t>(0, dists.size())].name);
  r.mask = std::string(masks[*rc::gen::inRange<size_t>(0, masks.size())].name);
  r.window = *rc::gen::inRange<int64_t>(1, 20);
  r.sinks = *rc::gen::arbitrary<bool>();
  r.max_bias = *rc::gen::element(0.0f, 8.0f);
  r.layout = *rc::gen::element(Layout::contiguous, Layout::seq_major, Layout::padded_rows);
  r.seed = *rc::gen::arbitrary<uint64_t>();
  RC_TAG(r.distribution, r.mask);
  const AttentionCase a = generate(r);
  RC_ASSERT(validate(a).empty());
  RC_ASSERT(same_case(a, generate(r)));
  RC_ASSERT(a.q.shape == (Dims{r.shape.batch, r.shape.hq, r.shape.lq, r.shape.dk}));
  RC_ASSERT(a.v.shape == (Dims{r.shape.batch, r.shape.hkv, r.shape.lk, r.shape.dv}));
  RC_ASSERT(a.sinks.size() == (r.sinks ? static_cast<size_t>(r.shape.hq) : 0u));
  // Non-finite inputs appear only in K and V, and only where no query can look.
  for_each_element(a.q, [](int64_t, int64_t, int64_t, int64_t, double x) { RC_ASSERT(std::isfinite(x)); });
  for (const Tensor* t : {&a.k, &a.v})
    for_each_element(*t, [&](int64_t, int64_t, int64_t j, int64_t, double x) {
      if (!std::isfinite(x)) RC_ASSERT(hidden_from_every_row(a, j));
    });
}

TEST(Generator, LayoutDoesNotChangeValues) {
  CaseRecipe r = recipe("normal", "random");
  const AttentionCase a = generate(r);
  for (Layout layout : {Layout::seq_major, Layout::padded_rows}) {
    r.layout = layout;
    const AttentionCase b = generate(r);
    EXPECT_FALSE(b.q.is_contiguous());
    const std::array<std::pair<const Tensor*, const Tensor*>, 3> pairs{{{&a.q, &b.q}, {&a.k, &b.k}, {&a.v, &b.v}}};
    for (auto [x, y] : pairs)
      for_each_element(*x, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3, double v) {
        ASSERT_EQ(std::bit_cast<uint64_t>(v), std::bit_cast<uint64_t>(y->get(i0, i1, i2, i3)));
      });
    EXPECT_EQ(a.materialized_mask(), b.materialized_mask());
  }
}

TEST(Generator, MaskPatternDoesNotChangeData) {
  const AttentionCase a = generate(recipe("normal", "none"));
  const AttentionCase b = generate(recipe("normal", "masked_tiles"));
  EXPECT_TRUE(same_tensor(a.q, b.q) && same_tensor(a.k, b.k) && same_tensor(a.v, b.v));
}

TEST(Generator, TensorsHoldTheirDtypesAndDefaultScale) {
  CaseRecipe r = recipe("normal", "none", 4, 8, 80);
  r.q_type = DType::bf16;
  r.k_type = DType::f16;
  r.v_type = DType::f32;
  const AttentionCase c = generate(r);
  EXPECT_EQ(c.q.dtype, DType::bf16);
  EXPECT_EQ(c.k.dtype, DType::f16);
  EXPECT_EQ(c.v.dtype, DType::f32);
  EXPECT_EQ(c.scale, static_cast<float>(1.0 / std::sqrt(80.0)));
  r.scale = 0.25f;
  EXPECT_EQ(generate(r).scale, 0.25f);
  for_each_element(c.q, [](int64_t, int64_t, int64_t, int64_t, double x) { ASSERT_EQ(round_to(DType::bf16, x), x); });
}

// ------------------------------------------------------------------ distributions

TEST(Generator, UniformStaysInRange) {
  const AttentionCase c = generate(recipe("uniform", "none"));
  for (const Tensor* t : {&c.q, &c.k, &c.v})
    for_each_element(*t, [](int64_t, int64_t, int64_t, int64_t, double x) { ASSERT_LE(std::fabs(x), 1.0); });
}

TEST(Generator, NormalHasUnitMoments) {
  CaseRecipe r = recipe("normal", "none", 64, 64, 64);
  r.q_type = DType::f32;
  const AttentionCase c = generate(r);
  double sum = 0, sum2 = 0;
  double n = 0;
  for_each_element(c.q, [&](int64_t, int64_t, int64_t, int64_t, double x) {
    sum += x;
    sum2 += x * x;
    n += 1;
  });
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum2 / n, 1.0, 0.03);
}

TEST(Generator, FlatMakesEveryScoreOfARowEqual) {
  for (const char* dist : {"flat", "same_sign_v"}) {
    const AttentionCase c = generate(recipe(dist, "none", 5, 33, 48));
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 4; ++h)
        for (int64_t i = 0; i < 5; ++i) {
          const double s0 = score(c, b, h, i, 0);
          for (int64_t j = 1; j < 33; ++j) ASSERT_EQ(score(c, b, h, i, j), s0) << dist;
        }
  }
}

TEST(Generator, SameSignVIsInHalfToOne) {
  const AttentionCase c = generate(recipe("same_sign_v", "causal"));
  for_each_element(c.v, [](int64_t, int64_t, int64_t, int64_t, double x) {
    ASSERT_GE(x, 0.5);
    ASSERT_LE(x, 1.0);
  });
}

TEST(Generator, PeakedRowsHaveOneDominantVisibleKey) {
  for (const char* mask : {"none", "causal", "random"}) {
    const AttentionCase c = generate(recipe("peaked", mask, 16, 128, 64));
    int rows = 0, dominated = 0;
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 4; ++h)
        for (int64_t i = 0; i < 16; ++i) {
          double best = -kInf;
          std::vector<double> s;
          for (int64_t j = 0; j < 128; ++j)
            if (c.bias(i, j) != -kInf) s.push_back(score(c, b, h, i, j) + c.bias(i, j));
          if (s.empty()) continue;
          for (double x : s) best = std::max(best, x);
          double denom = 0;
          for (double x : s) denom += std::exp(x - best);
          ++rows;
          dominated += (1.0 / denom > 0.99) ? 1 : 0;  // weight of the top key
        }
    EXPECT_GE(dominated, rows * 95 / 100) << mask;
  }
}

TEST(Generator, LargeScoresAreAroundFifty) {
  for (int64_t dk : {8, 64, 256}) {
    const AttentionCase c = generate(recipe("large_scores", "none", 8, 64, dk));
    double sum2 = 0;
    int n = 0;
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t i = 0; i < 8; ++i)
        for (int64_t j = 0; j < 64; ++j, ++n) sum2 += std::pow(score(c, 0, h, i, j), 2);
    const double rms = std::sqrt(sum2 / n);
    EXPECT_GT(rms, 35.0) << "dk=" << dk;
    EXPECT_LT(rms, 70.0) << "dk=" << dk;
  }
}

TEST(Generator, HugeScoresLeaveTheF16RangeWithFiniteInputs) {
  for (int64_t dk : {1, 16, 128}) {
    CaseRecipe r = recipe("huge_scores", "none", 8, 32, dk);
    r.q_type = DType::f16;
    const AttentionCase c = generate(r);
    int beyond = 0, n = 0;
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t i = 0; i < 8; ++i)
        for (int64_t j = 0; j < 32; ++j, ++n) beyond += std::fabs(score(c, 0, h, i, j)) > 65504.0 ? 1 : 0;
    EXPECT_GT(beyond, n / 3) << "dk=" << dk;
    for (const Tensor* t : {&c.q, &c.k})
      for_each_element(*t, [](int64_t, int64_t, int64_t, int64_t, double x) { ASSERT_TRUE(std::isfinite(x)); });
  }
}

TEST(Generator, LargeVSpansItsRangeWithBothSigns) {
  const AttentionCase c = generate(recipe("large_v", "none", 4, 256, 16));
  double lo = kInf, hi = 0;
  int negative = 0, n = 0;
  for_each_element(c.v, [&](int64_t, int64_t, int64_t, int64_t, double x) {
    lo = std::min(lo, std::fabs(x));
    hi = std::max(hi, std::fabs(x));
    negative += x < 0 ? 1 : 0;
    ++n;
  });
  EXPECT_GE(lo, 100.0);
  EXPECT_LE(hi, 60000.0 + 32.0);  // f16 rounding at the top
  EXPECT_LT(lo, 200.0);
  EXPECT_GT(hi, 30000.0);
  EXPECT_GT(negative, n / 3);
  EXPECT_LT(negative, 2 * n / 3);
}

TEST(Generator, SpecialKeepsNonFiniteValuesBehindTheMask) {
  for (const MaskPattern& m : all_mask_patterns()) {
    CaseRecipe r = recipe("special", std::string(m.name), 20, 70, 16);
    r.window = 6;
    for (DType t : {DType::f16, DType::bf16, DType::f32}) {
      r.q_type = r.k_type = r.v_type = t;
      const AttentionCase c = generate(r);
      int nonfinite = 0, subnormal = 0, zeros = 0, negative_zeros = 0;
      for_each_element(c.q, [](int64_t, int64_t, int64_t, int64_t, double x) { ASSERT_TRUE(std::isfinite(x)); });
      for (const Tensor* tensor : {&c.q, &c.k, &c.v})
        for_each_element(*tensor, [&](int64_t, int64_t, int64_t j, int64_t, double x) {
          if (!std::isfinite(x)) {
            ++nonfinite;
            ASSERT_TRUE(hidden_from_every_row(c, j)) << describe(r) << " key " << j;
          }
          if (x != 0 && std::fabs(x) < std::ldexp(1.0, traits(t).format.emin)) ++subnormal;
          zeros += x == 0 ? 1 : 0;
          negative_zeros += (x == 0 && std::signbit(x)) ? 1 : 0;
        });
      EXPECT_GT(nonfinite, 0) << describe(r);
      EXPECT_GT(subnormal, 0) << describe(r);
      EXPECT_GT(negative_zeros, 0) << describe(r);
      EXPECT_GT(zeros, negative_zeros) << describe(r);
      // A pattern that already masks keys everywhere is kept as it is.
      if (m.name == "none") {
        EXPECT_EQ(c.mask_kind, MaskKind::explicit_only);
      } else if (m.name == "causal") {
        EXPECT_EQ(c.mask_kind, MaskKind::causal);
      }
    }
  }
}

// ------------------------------------------------------------------ mask patterns

TEST(Generator, StructuralPatterns) {
  const AttentionCase none = generate(recipe("normal", "none"));
  EXPECT_EQ(none.mask_kind, MaskKind::none);
  EXPECT_FALSE(none.mask.has_value());
  const AttentionCase causal = generate(recipe("normal", "causal"));
  EXPECT_EQ(causal.mask_kind, MaskKind::causal);
  EXPECT_FALSE(causal.mask.has_value());
  CaseRecipe w = recipe("normal", "window");
  w.window = 3;
  const AttentionCase window = generate(w);
  EXPECT_EQ(window.mask_kind, MaskKind::window);
  EXPECT_EQ(window.window, 3);
  w.window = 0;
  EXPECT_NE(error_of(w).find("window >= 1 (got 0)"), std::string::npos) << error_of(w);
}

TEST(Generator, RandomMaskHidesAboutThirtyPercent) {
  const AttentionCase c = generate(recipe("normal", "random", 64, 64));
  ASSERT_TRUE(c.mask.has_value());
  EXPECT_EQ(c.mask->dtype, DType::f16);
  EXPECT_EQ(c.mask_kind, MaskKind::explicit_only);
  int hidden = 0, n = 0;
  for_each_element(*c.mask, [&](int64_t, int64_t, int64_t, int64_t, double x) {
    ++n;
    if (x == -kInf)
      ++hidden;
    else {
      ASSERT_GE(x, -1.0);
      ASSERT_LE(x, 0.0);
    }
  });
  EXPECT_GT(hidden, n / 4);
  EXPECT_LT(hidden, n * 35 / 100);
}

TEST(Generator, MaskedRowsHideRowsZeroAndEverySeventh) {
  const AttentionCase c = generate(recipe("normal", "masked_rows", 30, 20));
  for (int64_t i = 0; i < 30; ++i)
    for (int64_t j = 0; j < 20; ++j) ASSERT_EQ(c.bias(i, j) == -kInf, i % 7 == 0) << i << "," << j;
}

TEST(Generator, MaskedTilesHideWholeTiles) {
  const AttentionCase c = generate(recipe("normal", "masked_tiles", 100, 90));
  const int64_t tiles_i = 4, tiles_j = 3;  // ceil(100/32), ceil(90/32)
  int full_hidden = 0, full_visible = 0;
  for (int64_t ti = 0; ti < tiles_i; ++ti)
    for (int64_t tj = 0; tj < tiles_j; ++tj) {
      int hidden = 0, n = 0;
      for (int64_t i = ti * 32; i < std::min<int64_t>(100, ti * 32 + 32); ++i)
        for (int64_t j = tj * 32; j < std::min<int64_t>(90, tj * 32 + 32); ++j, ++n) hidden += c.bias(i, j) == -kInf;
      ASSERT_TRUE(hidden == 0 || hidden == n) << "tile " << ti << "," << tj << " partly hidden";
      full_hidden += hidden == n ? 1 : 0;
      full_visible += hidden == 0 ? 1 : 0;
    }
  EXPECT_GE(full_hidden, 2);
  EXPECT_GE(full_visible, 2);
  // One whole tile row: those query rows see nothing.
  int fully_masked_rows = 0;
  for (int64_t i = 0; i < 100; ++i) {
    bool all = true;
    for (int64_t j = 0; j < 90; ++j) all = all && c.bias(i, j) == -kInf;
    fully_masked_rows += all ? 1 : 0;
  }
  EXPECT_GE(fully_masked_rows, 32);
}

TEST(Generator, TileEdgesAddColumnsToCausal) {
  const AttentionCase c = generate(recipe("normal", "tile_edges", 70, 140));
  EXPECT_EQ(c.mask_kind, MaskKind::causal);
  const std::set<int64_t> edges{15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129};
  for (int64_t i = 0; i < 70; ++i)
    for (int64_t j = 0; j < 140; ++j) {
      const bool want_hidden = edges.count(j) > 0 || j > i + 70;
      ASSERT_EQ(c.bias(i, j) == -kInf, want_hidden) << i << "," << j;
    }
  // Short Lk: only the edges that exist.
  const AttentionCase small = generate(recipe("normal", "tile_edges", 4, 20));
  EXPECT_EQ(small.bias(3, 16), -kInf);
  EXPECT_EQ(small.bias(3, 14), 0.0);
}

// ------------------------------------------------------------------ options and errors

TEST(Generator, SinksAreFiniteAndVaried) {
  CaseRecipe r = recipe("normal", "causal");
  r.sinks = true;
  r.shape.hq = 8;
  const AttentionCase c = generate(r);
  ASSERT_EQ(c.sinks.size(), 8u);
  std::set<float> distinct(c.sinks.begin(), c.sinks.end());
  EXPECT_EQ(distinct.size(), 8u);
  for (float s : c.sinks) {
    EXPECT_TRUE(std::isfinite(s));
    EXPECT_LT(std::fabs(s), 8.0f);  // around the typical score, N(0,1)+1 here
  }
  r.sinks = false;
  EXPECT_TRUE(generate(r).sinks.empty());
}

TEST(Generator, BadRecipesGiveClearErrors) {
  CaseRecipe r = recipe("normal", "none");
  r.shape.hq = 3;
  EXPECT_NE(error_of(r).find("Hq (3) must be a multiple of Hkv (2)"), std::string::npos) << error_of(r);
  for (int64_t CaseShape::*dim : {&CaseShape::batch, &CaseShape::hq, &CaseShape::hkv, &CaseShape::lq, &CaseShape::lk,
                                  &CaseShape::dk, &CaseShape::dv}) {
    CaseRecipe z = recipe("normal", "random");
    z.shape.*dim = 0;
    EXPECT_NE(error_of(z).find("every dimension must be >= 1"), std::string::npos) << error_of(z);
    z.shape.*dim = -5;
    EXPECT_NE(error_of(z).find("every dimension must be >= 1"), std::string::npos) << error_of(z);
  }
  CaseRecipe big = recipe("normal", "none");
  big.shape.lk = int64_t{1} << 40;
  EXPECT_NE(error_of(big).find("case too large"), std::string::npos) << error_of(big);

  CaseRecipe bad_dist = recipe("gaussian", "none");
  const std::string e = error_of(bad_dist);
  EXPECT_NE(e.find("unknown distribution 'gaussian'"), std::string::npos) << e;
  for (const Distribution& d : all_distributions()) EXPECT_NE(e.find(d.name), std::string::npos) << e;
  const std::string m = error_of(recipe("normal", "diagonal"));
  EXPECT_NE(m.find("unknown mask pattern 'diagonal'"), std::string::npos) << m;
  EXPECT_NE(m.find("masked_tiles"), std::string::npos) << m;

  CaseRecipe softcap = recipe("normal", "none");
  softcap.softcap = -1.0f;
  EXPECT_NE(error_of(softcap).find("softcap"), std::string::npos);
}

TEST(Generator, WrongSinkCountFailsValidation) {
  CaseRecipe r = recipe("normal", "none");
  r.sinks = true;
  AttentionCase c = generate(r);
  c.sinks.pop_back();
  EXPECT_NE(validate(c).find("one value per query head"), std::string::npos);
}

TEST(Generator, DescribeNamesEverything) {
  CaseRecipe r = recipe("large_v", "window");
  r.window = 9;
  r.sinks = true;
  r.max_bias = 8.0f;
  r.softcap = 30.0f;
  r.scale = 0.5f;
  r.layout = Layout::seq_major;
  r.seed = 12345;
  const std::string d = describe(r);
  for (const char* part : {"Hq=4", "Lk=40", "q=f32", "k=f16", "dist=large_v", "mask=window(9)", "scale=0.5",
                           "max_bias=8", "softcap=30", "sinks", "seq_major", "seed=12345"})
    EXPECT_NE(d.find(part), std::string::npos) << part << " missing in: " << d;
  EXPECT_EQ(d.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace flashcheck
