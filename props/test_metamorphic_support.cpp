#include "props/test_metamorphic_support.hpp"

#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <sstream>

#include "impls/builtin_backends.hpp"
#include "props/support/counterexample.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck::metamorphic {
namespace {

bool has_prefix(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Whether the subject can take a mask pattern at all (the pattern's structural mask and
// explicit mask).
bool mask_supported(const Capabilities& caps, const std::string& pattern) {
  if (pattern == "none") return true;
  if (pattern == "causal") return caps.causal;
  if (pattern == "window") return caps.window;
  if (pattern == "tile_edges") return caps.causal && caps.explicit_mask;
  return caps.explicit_mask;  // random, masked_rows, masked_tiles
}

template <class T>
T any_of(const std::vector<T>& choices) {
  return *rc::gen::elementOf(choices);
}

bool coin() { return *rc::gen::arbitrary<bool>(); }

// The case of the last failure a property reported. RapidCheck runs the property again on
// ever smaller cases while it shrinks; the last failing run is the counterexample it
// reports, and only that one is saved.
struct Counterexample {
  AttentionCase c;
  std::string spec, why;
};
std::optional<Counterexample> last_failure;

[[noreturn]] void fail_recording(const AttentionCase& c, const std::string& spec, const std::string& why) {
  last_failure = Counterexample{c, spec, why};
  RC_FAIL(fmt::format("{} on {}\n  {}", spec, describe_case(c), why));
}

// A tiny case with unquantized K/V, to ask the subject whether it takes such cases at all.
AttentionCase plain_probe_case() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 1, .lk = 4, .dk = 32, .dv = 32};
  r.q_type = DType::f32;
  r.k_type = r.v_type = DType::f32;
  return generate(r);
}

}  // namespace

std::vector<std::string> registered_subjects() { return builtin_registry().names(); }

std::string subject_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

int default_case_count(const std::string& subject) {
  if (has_prefix(subject, "cpu-neon")) return 6;
  if (has_prefix(subject, "opencl")) return 15;
  return 30;
}

CaseRecipe draw_recipe(const Subject& s, const CaseSpace& space) {
  // One generator for the whole recipe, so a counterexample shows as one described recipe.
  // Shrinking re-runs the generator after this function returned: capture the space by value.
  return *rc::gen::exec([&s, space] {
    const Capabilities& caps = s.caps;
    std::vector<int64_t> dims;
    for (int64_t d : {32, 64, 128})
      if (d <= caps.max_head_dim) dims.push_back(d);
    if (dims.empty()) dims.push_back(caps.max_head_dim);

    CaseRecipe r;
    const int64_t hkv = *rc::gen::element<int64_t>(1, 2);
    const int64_t ratio = caps.gqa ? *rc::gen::inRange<int64_t>(space.min_gqa_ratio, 4) : 1;
    r.shape.batch = *rc::gen::inRange<int64_t>(1, 3);
    r.shape.hkv = hkv;
    r.shape.hq = hkv * ratio;
    r.shape.lq = *rc::gen::inRange<int64_t>(1, 7);
    r.shape.lk = *rc::gen::inRange<int64_t>(1, space.max_lk + 1);
    r.shape.dk = any_of(dims);
    r.shape.dv = caps.dk_ne_dv && coin() ? any_of(dims) : r.shape.dk;
    r.q_type = any_of(caps.q_types);
    r.k_type = any_of(caps.kv_types);
    r.v_type = any_of(caps.kv_types);
    r.o_type = any_of(caps.o_types);

    std::vector<std::string> masks;
    for (const std::string& m : space.masks)
      if (mask_supported(caps, m)) masks.push_back(m);
    r.mask = masks.empty() ? "none" : any_of(masks);
    r.window = *rc::gen::inRange<int64_t>(1, r.shape.lk + 1);

    const bool quantized = !caps.kv_schemes.empty() &&
                           (space.kv == KvStorage::quantized || s.declines_plain_kv.has_value() ||
                            (space.kv == KvStorage::either && coin()));
    // inf/NaN at hidden keys: not for block-quantized K/V (which cannot hold them), nor for a
    // contract whose kernel multiplies masked keys by a zero weight.
    const bool special_allowed = !quantized && s.contract->masked_kv_unread;
    std::vector<std::string> distributions;
    for (const std::string& d : space.distributions)
      if (d != "special" || special_allowed) distributions.push_back(d);
    r.distribution = any_of(distributions);

    r.max_bias = space.alibi && caps.alibi && coin() ? 8.0f : 0.0f;
    r.softcap = space.softcap && caps.softcap && coin() ? 20.0f : 0.0f;
    r.sinks = space.sinks && caps.sinks && coin();
    // Sinks are drawn around the uncapped score scale (2^18 for huge_scores); beside scores
    // capped at 20 they leave every weight near e^-(2^18), and the oracle then needs seconds
    // of MPFR to round O (exactly tiny, not zero) correctly. Kept out to bound the run time.
    if (r.distribution == "huge_scores" && r.softcap > 0.0f) r.sinks = false;
    r.layout = caps.strided ? *rc::gen::element(Layout::contiguous, Layout::seq_major, Layout::padded_rows)
                            : Layout::contiguous;
    if (quantized) {
      r.k_quant = any_of(caps.kv_schemes);
      if (space.quantized_v && coin()) r.v_quant = any_of(caps.kv_schemes);
      r.kv_layout = any_of(caps.kv_layouts);
      r.hadamard = space.hadamard && caps.hadamard;
    }
    r.seed = *rc::gen::inRange<uint64_t>(1, uint64_t{1} << 30);
    return r;
  });
}

void SubjectProperty::SetUp() {
  const std::string& name = GetParam();
  Subject s;
  s.name = name;
  s.backend = builtin_registry().make(name);
  ASSERT_NE(s.backend, nullptr) << name << " is not registered";
  std::string why;
  if (!s.backend->available(&why)) GTEST_SKIP() << name << " is not available here: " << why;
  s.caps = s.backend->capabilities();
  s.contract = find_contract(s.caps.contract);
  ASSERT_NE(s.contract, nullptr) << name << " promises an unknown contract '" << s.caps.contract << "'";
  if (!s.caps.kv_schemes.empty()) {
    const RunResult probe = run_checked(*s.backend, plain_probe_case());
    if (probe.status == RunResult::Status::unsupported) s.declines_plain_kv = probe.message;
  }
  subject_ = std::move(s);
}

void SubjectProperty::check(const std::function<void()>& property) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  // RapidCheck's default count means RC_PARAMS did not ask for one: use the subject's.
  if (params.maxSuccess == rc::detail::TestParams().maxSuccess) params.maxSuccess = default_case_count(subject_->name);
  auto run_once = [&property] {
    last_failure.reset();  // a run that fails by an exception leaves no case to save
    property();
  };
  const rc::detail::TestResult result = rc::detail::checkProperty(rc::detail::toProperty(run_once), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    if (last_failure)
      message << "\n" << testing::save_counterexample(last_failure->c, last_failure->spec, last_failure->why);
    FAIL() << message.str();
  }
}

RunOutput run_or_discard(Backend& b, const AttentionCase& c) {
  RunResult r = run_checked(b, c);
  if (r.status == RunResult::Status::unsupported) RC_DISCARD(b.name() + " declines the case: " + r.message);
  if (r.status == RunResult::Status::error) fail_recording(c, b.name(), "the run failed: " + r.message);
  return std::move(r.output);
}

OracleResult oracle_of(const AttentionCase& c) {
  OracleOptions opts;
  opts.out_type = c.o_type;
  opts.threads = 1;  // ctest runs two suites at once on two cores
  return run_oracle(c, opts);
}

void discard_outside_contract(const Subject& s, const AttentionCase& c) {
  if (const auto why = outside_contract(*s.contract, c)) RC_DISCARD(*why);
}

void require_verdict(const Subject& s, const AttentionCase& c, const OracleResult& oracle, const RunOutput& out,
                     const std::string& side) {
  discard_outside_contract(s, c);
  const Verdict v = judge(c, oracle, out, *s.contract);
  if (v.pass) return;
  std::string why = fmt::format("{}: the verdict under contract {} fails: {}", side, v.contract, v.summary());
  for (const std::string& rule : v.rule_failures) why += "\n  rule: " + rule;
  for (const Mismatch& m : v.worst) why += "\n  " + m.describe();
  fail_with_case(s, c, why);
}

void fail_with_case(const Subject& s, const AttentionCase& c, const std::string& why) { fail_recording(c, s.name, why); }

std::string value_text(double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", x, x);
  return buf;
}

std::string first_bit_difference(const RunOutput& got, const RunOutput& expected) {
  if (got.o.shape != expected.o.shape || got.o.dtype != expected.o.dtype || got.lse.size() != expected.lse.size())
    return "the outputs differ in shape, dtype or LSE presence";
  const auto size = traits(got.o.dtype).size;
  const Dims& n = got.o.shape;
  for (int64_t b = 0; b < n[0]; ++b)
    for (int64_t h = 0; h < n[1]; ++h)
      for (int64_t i = 0; i < n[2]; ++i)
        for (int64_t col = 0; col < n[3]; ++col) {
          const std::byte* x = got.o.data() + got.o.offset(b, h, i, col) * static_cast<int64_t>(size);
          const std::byte* y = expected.o.data() + expected.o.offset(b, h, i, col) * static_cast<int64_t>(size);
          if (!std::equal(x, x + size, y))
            return fmt::format("O[b={} h={} i={} col={}]: got {} vs expected {}", b, h, i, col,
                               value_text(got.o.get(b, h, i, col)), value_text(expected.o.get(b, h, i, col)));
        }
  for (size_t r = 0; r < got.lse.size(); ++r) {
    const float x = got.lse[r], y = expected.lse[r];
    if (std::memcmp(&x, &y, sizeof x) != 0)
      return fmt::format("LSE[row {}]: got {} vs expected {}", r, value_text(x), value_text(y));
  }
  return {};
}

std::string describe_case(const AttentionCase& c) {
  std::string text = fmt::format("{} q={} k={} v={} o={} family={} mask={}", describe_shape(c.shape),
                                 dtype_name(c.q_type), dtype_name(c.k_type), dtype_name(c.v_type),
                                 dtype_name(c.o_type), c.family, to_string(c.mask_kind));
  if (c.mask_kind == MaskKind::window) text += fmt::format("({})", c.window);
  if (c.mask) text += fmt::format(" +explicit({})", dtype_name(c.mask->dtype));
  if (c.uses_alibi()) text += fmt::format(" alibi(max_bias={})", c.max_bias);
  if (c.softcap > 0.0f) text += fmt::format(" softcap={}", c.softcap);
  if (c.has_sinks()) text += " sinks";
  if (!c.q.is_contiguous() || !c.k.is_contiguous() || !c.v.is_contiguous()) text += " strided";
  for (const auto& [name, q] : {std::pair{"k", &c.k_quant}, std::pair{"v", &c.v_quant}})
    if (q->has_value())
      text += fmt::format(" {}_quant={}({}{})", name, (*q)->scheme, kv_row_layout_name((*q)->layout),
                          (*q)->hadamard ? ", hadamard" : "");
  text += fmt::format(" seed={}", c.seed);
  return text;
}

}  // namespace flashcheck::metamorphic
