// The backend interface: support checks, run_checked's protection of the harness,
// and the registry.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/backend.hpp"
#include "core/generator.hpp"
#include "impls/builtin_backends.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"

namespace flashcheck {
namespace {

CaseRecipe small_recipe() {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 2, .lq = 3, .lk = 5, .dk = 8, .dv = 8};
  r.seed = 7;
  return r;
}

// Capabilities that take everything the generator can produce.
Capabilities everything() {
  Capabilities caps;
  caps.q_types = caps.kv_types = caps.o_types = {DType::f32, DType::f16, DType::bf16};
  return caps;
}

TEST(UnsupportedReason, PlainCaseIsSupportedByDefaultCapabilities) {
  EXPECT_EQ(unsupported_reason(Capabilities{}, generate(small_recipe())), std::nullopt);
}

struct FeatureCase {
  const char* name;
  void (*shape_recipe)(CaseRecipe&);
  void (*remove_capability)(Capabilities&);
  const char* reason_mentions;
};

const FeatureCase kFeatureCases[] = {
    {"causal", [](CaseRecipe& r) { r.mask = "causal"; }, [](Capabilities& c) { c.causal = false; }, "causal"},
    {"window", [](CaseRecipe& r) { r.mask = "window"; r.window = 2; }, [](Capabilities& c) { c.window = false; },
     "window"},
    {"explicit", [](CaseRecipe& r) { r.mask = "random"; }, [](Capabilities& c) { c.explicit_mask = false; },
     "explicit"},
    {"alibi", [](CaseRecipe& r) { r.max_bias = 8.0f; }, [](Capabilities& c) { c.alibi = false; }, "ALiBi"},
    {"softcap", [](CaseRecipe& r) { r.softcap = 30.0f; }, [](Capabilities& c) { c.softcap = false; }, "soft-capping"},
    {"sinks", [](CaseRecipe& r) { r.sinks = true; }, [](Capabilities& c) { c.sinks = false; }, "sinks"},
    {"gqa", [](CaseRecipe& r) { r.shape.hkv = 1; }, [](Capabilities& c) { c.gqa = false; }, "grouped-query"},
    {"strided", [](CaseRecipe& r) { r.layout = Layout::seq_major; }, [](Capabilities& c) { c.strided = false; },
     "non-contiguous"},
    {"padded", [](CaseRecipe& r) { r.layout = Layout::padded_rows; }, [](Capabilities& c) { c.strided = false; },
     "non-contiguous"},
    {"dk_ne_dv", [](CaseRecipe& r) { r.shape.dv = 4; }, [](Capabilities& c) { c.dk_ne_dv = false; }, "head dimensions"},
    {"head_dim", [](CaseRecipe&) {}, [](Capabilities& c) { c.max_head_dim = 4; }, "head dimension 8"},
    {"q_bf16", [](CaseRecipe& r) { r.q_type = DType::bf16; }, [](Capabilities& c) { c.q_types = {DType::f32}; },
     "Q dtype bf16"},
    {"v_bf16", [](CaseRecipe& r) { r.v_type = DType::bf16; },
     [](Capabilities& c) { c.kv_types = {DType::f32, DType::f16}; }, "V dtype bf16"},
    {"o_f16", [](CaseRecipe& r) { r.o_type = DType::f16; }, [](Capabilities& c) { c.o_types = {DType::f32}; },
     "O dtype f16"},
};

TEST(UnsupportedReason, EachFeatureIsCheckedAndNamed) {
  for (const auto& f : kFeatureCases) {
    SCOPED_TRACE(f.name);
    CaseRecipe r = small_recipe();
    f.shape_recipe(r);
    const AttentionCase c = generate(r);
    Capabilities caps = everything();
    EXPECT_EQ(unsupported_reason(caps, c), std::nullopt) << "a backend with every capability must take it";
    f.remove_capability(caps);
    const auto why = unsupported_reason(caps, c);
    ASSERT_TRUE(why.has_value());
    EXPECT_NE(why->find(f.reason_mentions), std::string::npos) << *why;
  }
}

// A backend whose behaviour the test sets: what it returns or throws.
class ScriptedBackend : public Backend {
 public:
  std::function<RunResult(const AttentionCase&)> script;
  Capabilities caps;
  int runs = 0;
  std::string name() const override { return "scripted"; }
  std::string description() const override { return "test double"; }
  Capabilities capabilities() const override { return caps; }
  RunResult run(const AttentionCase& c) override {
    ++runs;
    return script(c);
  }
};

RunResult well_formed_output(const AttentionCase& c) {
  const auto& s = c.shape;
  RunResult r;
  r.output.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
  r.output.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
  return r;
}

TEST(RunChecked, PassesAWellFormedResultThrough) {
  ScriptedBackend b;
  b.script = well_formed_output;
  const RunResult r = run_checked(b, generate(small_recipe()));
  EXPECT_EQ(r.status, RunResult::Status::ok) << r.message;
  EXPECT_EQ(b.runs, 1);
}

TEST(RunChecked, UnsupportedCaseIsNeverRun) {
  ScriptedBackend b;
  b.script = well_formed_output;
  b.caps.causal = false;
  CaseRecipe recipe = small_recipe();
  recipe.mask = "causal";
  const RunResult r = run_checked(b, generate(recipe));
  EXPECT_EQ(r.status, RunResult::Status::unsupported);
  EXPECT_NE(r.message.find("causal"), std::string::npos) << r.message;
  EXPECT_EQ(b.runs, 0);
}

TEST(RunChecked, ExceptionsBecomeErrors) {
  ScriptedBackend b;
  b.script = [](const AttentionCase&) -> RunResult { throw std::runtime_error("device lost"); };
  RunResult r = run_checked(b, generate(small_recipe()));
  EXPECT_EQ(r.status, RunResult::Status::error);
  EXPECT_NE(r.message.find("device lost"), std::string::npos) << r.message;

  b.script = [](const AttentionCase&) -> RunResult { throw 42; };
  r = run_checked(b, generate(small_recipe()));
  EXPECT_EQ(r.status, RunResult::Status::error);
  EXPECT_NE(r.message.find("unknown exception"), std::string::npos) << r.message;
}

TEST(RunChecked, MalformedOutputsBecomeErrors) {
  const struct {
    const char* name;
    void (*spoil)(RunResult&);
    const char* message_mentions;
  } spoilers[] = {
      {"dtype", [](RunResult& r) { r.output.o = Tensor::make(DType::f16, r.output.o.shape); }, "dtype"},
      {"shape", [](RunResult& r) { r.output.o = Tensor::make(r.output.o.dtype, {1, 2, 3, 7}); }, "shape"},
      {"storage", [](RunResult& r) { r.output.o.storage.resize(r.output.o.storage.size() / 2); }, "storage"},
      {"lse", [](RunResult& r) { r.output.lse.pop_back(); }, "LSE"},
  };
  for (const auto& s : spoilers) {
    SCOPED_TRACE(s.name);
    ScriptedBackend b;
    b.script = [&](const AttentionCase& c) {
      RunResult r = well_formed_output(c);
      s.spoil(r);
      return r;
    };
    const RunResult r = run_checked(b, generate(small_recipe()));
    EXPECT_EQ(r.status, RunResult::Status::error);
    EXPECT_NE(r.message.find(s.message_mentions), std::string::npos) << r.message;
  }
}

TEST(RunChecked, EmptyLseIsAllowed) {
  ScriptedBackend b;
  b.script = [](const AttentionCase& c) {
    RunResult r = well_formed_output(c);
    r.output.lse.clear();
    return r;
  };
  EXPECT_EQ(run_checked(b, generate(small_recipe())).status, RunResult::Status::ok);
}

TEST(RunChecked, InvalidCaseIsRejectedBeforeRunning) {
  ScriptedBackend b;
  b.script = well_formed_output;
  AttentionCase c = generate(small_recipe());
  c.k.storage.resize(4);  // strides now reach past the storage
  const RunResult r = run_checked(b, c);
  EXPECT_EQ(r.status, RunResult::Status::error);
  EXPECT_NE(r.message.find("invalid case"), std::string::npos) << r.message;
  EXPECT_EQ(b.runs, 0);
}

TEST(Registry, AddsMakesAndListsInOrder) {
  Registry reg;
  reg.add("b-second", [] { return make_cpu_textbook_backend(1); });
  reg.add("a-first", [] { return make_cpu_textbook_backend(1); });
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"b-second", "a-first"}));
  EXPECT_NE(reg.make("a-first"), nullptr);
  EXPECT_EQ(reg.make("missing"), nullptr);
}

TEST(Registry, RejectsDuplicatesAndEmptyEntries) {
  Registry reg;
  reg.add("x", [] { return make_cpu_textbook_backend(1); });
  EXPECT_THROW(reg.add("x", [] { return make_cpu_textbook_backend(1); }), std::invalid_argument);
  EXPECT_THROW(reg.add("", [] { return make_cpu_textbook_backend(1); }), std::invalid_argument);
  EXPECT_THROW(reg.add("y", Registry::Factory{}), std::invalid_argument);
  EXPECT_THROW(reg.add("has@at", [] { return make_cpu_textbook_backend(1); }), std::invalid_argument);
}

// A subject with one seeded bug, to test how specs "subject@mutant" are built.
class MutableSubject : public Backend {
 public:
  explicit MutableSubject(std::string mutant) : mutant_(std::move(mutant)) {}
  std::string name() const override { return backend_spec("mutable", mutant_); }
  std::string description() const override { return "test subject"; }
  Capabilities capabilities() const override { return {}; }
  RunResult run(const AttentionCase&) override { return RunResult::error("not run"); }
  std::vector<MutantInfo> mutants() const override {
    return {{"off-by-one", "004", "masked-key-leak", "reads one key too many"}};
  }

 private:
  std::string mutant_;
};

TEST(Registry, BuildsMutantsBySpecAndRejectsUnknownOnes) {
  Registry reg;
  std::vector<std::string> built;
  reg.add("mutable", Registry::Factory([&](const std::string& m) {
            built.push_back(m);
            return std::make_unique<MutableSubject>(m);
          }));
  EXPECT_EQ(reg.make("mutable")->name(), "mutable");
  const auto mutant = reg.make("mutable@off-by-one");
  ASSERT_NE(mutant, nullptr);
  EXPECT_EQ(mutant->name(), "mutable@off-by-one");
  EXPECT_EQ(built.back(), "off-by-one");
  try {
    (void)reg.make("mutable@typo");
    FAIL() << "an unknown mutant must not build the correct kernel";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("off-by-one"), std::string::npos) << e.what();
  }
  EXPECT_EQ(reg.make("missing@off-by-one"), nullptr);
}

TEST(BackendSpec, SplitsAtTheFirstAt) {
  EXPECT_EQ(backend_spec("cpu", ""), "cpu");
  EXPECT_EQ(backend_spec("cpu", "bug"), "cpu@bug");
  EXPECT_EQ(split_backend_spec("cpu@bug"), (std::pair<std::string, std::string>{"cpu", "bug"}));
  EXPECT_EQ(split_backend_spec("cpu"), (std::pair<std::string, std::string>{"cpu", ""}));
}

TEST(Registry, BuiltinRegistryHoldsCpuTextbookOnce) {
  Registry& reg = builtin_registry();
  EXPECT_EQ(&reg, &builtin_registry());
  const auto names = reg.names();
  EXPECT_EQ(std::count(names.begin(), names.end(), std::string(kCpuTextbookName)), 1);
  const auto backend = reg.make(kCpuTextbookName);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), kCpuTextbookName);
  EXPECT_TRUE(backend->capabilities().lse);
}

}  // namespace
}  // namespace flashcheck
