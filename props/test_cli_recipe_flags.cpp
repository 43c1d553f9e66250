// The recipe <-> command-line flags mapping must round-trip exactly, because a
// failing check is reproduced by replaying its printed flags.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "cli/recipe_flags.hpp"
#include "core/generator.hpp"

namespace flashcheck::cli {
namespace {

using Args = std::vector<std::string>;

std::vector<std::string> names_of_distributions() {
  std::vector<std::string> out;
  for (const auto& d : all_distributions()) out.emplace_back(d.name);
  return out;
}
std::vector<std::string> names_of_masks() {
  std::vector<std::string> out;
  for (const auto& m : all_mask_patterns()) out.emplace_back(m.name);
  return out;
}

// Any finite float, drawn by bit pattern so subnormals and -0 show up too.
rc::Gen<float> finite_float() {
  return rc::gen::suchThat(rc::gen::map(rc::gen::arbitrary<uint32_t>(), [](uint32_t b) { return std::bit_cast<float>(b); }),
                           [](float f) { return std::isfinite(f); });
}

rc::Gen<CaseRecipe> arbitrary_recipe() {
  return rc::gen::exec([] {
    CaseRecipe r;
    auto dim = [] { return *rc::gen::inRange<int64_t>(1, std::numeric_limits<int64_t>::max()); };
    r.shape = CaseShape{dim(), dim(), dim(), dim(), dim(), dim(), dim()};
    const auto dtypes = all_dtypes();
    auto dtype = [&] { return dtypes[*rc::gen::inRange<size_t>(0, dtypes.size())].id; };
    r.q_type = dtype();
    r.k_type = dtype();
    r.v_type = dtype();
    r.o_type = dtype();
    r.distribution = *rc::gen::elementOf(names_of_distributions());
    r.mask = *rc::gen::elementOf(names_of_masks());
    r.window = *rc::gen::inRange<int64_t>(0, std::numeric_limits<int64_t>::max());
    if (*rc::gen::arbitrary<bool>()) r.scale = *finite_float();
    r.max_bias = *finite_float();
    r.softcap = *finite_float();
    r.sinks = *rc::gen::arbitrary<bool>();
    r.layout = *parse_layout(*rc::gen::elementOf(layout_names()));
    const std::vector<std::string> schemes = kv_scheme_names();
    auto scheme = [&] { return *rc::gen::arbitrary<bool>() ? *rc::gen::elementOf(schemes) : std::string(); };
    r.k_quant = scheme();
    r.v_quant = scheme();
    r.kv_layout = *rc::gen::element(KvRowLayout::aos, KvRowLayout::soa);
    r.hadamard = *rc::gen::arbitrary<bool>();
    r.v_nan_scale = *rc::gen::arbitrary<bool>();
    r.seed = *rc::gen::arbitrary<uint64_t>();
    return r;
  });
}

TEST(RecipeFlags, DefaultRecipeRendersEveryFieldButTheDefaultScale) {
  const Args expected{"--batch", "1",      "--hq",      "1",    "--hkv",    "1",          "--lq",   "1",
                      "--lk",    "1",      "--dk",      "64",   "--dv",     "64",         "--q-type", "f32",
                      "--k-type", "f16",   "--v-type",  "f16",  "--o-type", "f32",        "--dist", "normal",
                      "--mask",  "none",   "--window",  "0",    "--max-bias", "0",        "--softcap", "0",
                      "--layout", "contiguous", "--seed", "1"};
  EXPECT_EQ(render_recipe_flags(CaseRecipe{}), expected);
}

TEST(RecipeFlags, QuantizedKvFlagsRoundTripAndRejectUnknownSchemes) {
  const Args x{"--k-quant", "mxfp6_e2m3", "--v-quant", "ggml_q4_0", "--kv-layout", "soa", "--hadamard"};
  const CaseRecipe r = parse_recipe_flags(x);
  EXPECT_EQ(r.k_quant, "mxfp6_e2m3");
  EXPECT_EQ(r.v_quant, "ggml_q4_0");
  EXPECT_EQ(r.kv_layout, KvRowLayout::soa);
  EXPECT_TRUE(r.hadamard);
  EXPECT_TRUE(same_recipe(parse_recipe_flags(render_recipe_flags(r)), r));
  try {
    (void)parse_recipe_flags({"--k-quant", "q8"});
    FAIL() << "an unknown scheme must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ggml_q8_0"), std::string::npos) << e.what();
  }
}

TEST(RecipeFlags, CanonicalFlagsRoundTrip) {
  const Args x{"--batch",  "2",      "--hq",      "8",         "--hkv",    "2",           "--lq",       "1",
               "--lk",     "4097",   "--dk",      "192",       "--dv",     "128",         "--q-type",   "bf16",
               "--k-type", "f32",    "--v-type",  "bf16",      "--o-type", "f16",         "--dist",     "special",
               "--mask",   "window", "--window",  "17",        "--scale",  "-0.125",      "--max-bias", "8",
               "--softcap", "1e-05", "--sinks",   "--layout",  "padded_rows", "--seed",   "18446744073709551615"};
  EXPECT_EQ(render_recipe_flags(parse_recipe_flags(x)), x);
}

TEST(RecipeFlags, ParsedFieldsLandInTheRightMembers) {
  const CaseRecipe r = parse_recipe_flags({"--hq", "12", "--hkv", "4", "--mask", "causal", "--scale", "0.5", "--sinks",
                                           "--layout", "seq_major", "--softcap", "30", "--seed", "99"});
  EXPECT_EQ(r.shape.hq, 12);
  EXPECT_EQ(r.shape.hkv, 4);
  EXPECT_EQ(r.mask, "causal");
  ASSERT_TRUE(r.scale.has_value());
  EXPECT_EQ(*r.scale, 0.5f);
  EXPECT_TRUE(r.sinks);
  EXPECT_EQ(r.layout, Layout::seq_major);
  EXPECT_EQ(r.softcap, 30.0f);
  EXPECT_EQ(r.seed, 99u);
  EXPECT_EQ(r.shape.lq, CaseRecipe{}.shape.lq);  // untouched fields keep their defaults
}

TEST(RecipeFlags, BadValuesAreRejectedWithTheValidChoices) {
  auto message_of = [](const Args& args) {
    try {
      parse_recipe_flags(args);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("<accepted>");
  };
  EXPECT_NE(message_of({"--q-type", "f64"}).find("bf16"), std::string::npos);
  EXPECT_NE(message_of({"--dist", "gaussian"}).find("uniform"), std::string::npos);
  EXPECT_NE(message_of({"--mask", "diagonal"}).find("causal"), std::string::npos);
  EXPECT_NE(message_of({"--layout", "row_major"}).find("seq_major"), std::string::npos);
  EXPECT_NE(message_of({"--lk", "0"}).find(">= 1"), std::string::npos);
  EXPECT_NE(message_of({"--lk", "12x"}).find("integer"), std::string::npos);
  EXPECT_NE(message_of({"--seed", "-3"}).find("integer"), std::string::npos);
  EXPECT_NE(message_of({"--scale", "nan"}).find("finite"), std::string::npos);
  EXPECT_NE(message_of({"--softcap", "inf"}).find("finite"), std::string::npos);
  EXPECT_NE(message_of({"--window", "-1"}).find(">= 0"), std::string::npos);
  EXPECT_NE(message_of({"--no-such-flag", "1"}).find("no-such-flag"), std::string::npos);
}

TEST(RecipeFlags, ReplayCommandNamesTheBackendAndCarriesTheRecipe) {
  CaseRecipe r;
  r.shape.lk = 113;
  r.mask = "tile_edges";
  r.sinks = true;
  const std::string cmd = replay_command("cpu_textbook", r);
  const std::string prefix = "flashcheck run --backend cpu_textbook ";
  ASSERT_EQ(cmd.substr(0, prefix.size()), prefix);
  EXPECT_EQ(cmd.substr(prefix.size()), join_command_line(render_recipe_flags(r)));
}

TEST(RecipeFlags, CommandLineQuotesOnlyWhatTheShellWouldSplit) {
  EXPECT_EQ(join_command_line({"run", "--scale", "-0.5", "a b", "it's", ""}), "run --scale -0.5 'a b' 'it'\\''s' ''");
}

RC_GTEST_PROP(RecipeFlagsProperty, ParseOfRenderIsTheRecipe, ()) {
  const CaseRecipe r = *arbitrary_recipe();
  const Args flags = render_recipe_flags(r);
  const CaseRecipe back = parse_recipe_flags(flags);
  RC_ASSERT(same_recipe(back, r));
  RC_ASSERT(render_recipe_flags(back) == flags);
}

}  // namespace
}  // namespace flashcheck::cli
