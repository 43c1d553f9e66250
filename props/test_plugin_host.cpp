// The plugin host: what makes a plugin description unusable (plugin_problem), how
// fc_subject capabilities become Capabilities, and PluginBackend runs of the example
// plugins in their worker: correct output and LSE, the n_threads sent, crashes,
// timeouts and the worker's restart after them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/generator.hpp"
#include "flashcheck/backend.h"
#include "impls/plugin/plugin_backend.hpp"
#include "impls/plugin/plugin_description.hpp"
#include "impls/plugin/worker_location.hpp"
#include "impls/plugin/worker_process.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace flashcheck::plugin {
namespace {

int run_nothing(const fc_case*, fc_output*) { return FC_STATUS_ERROR; }

constexpr uint32_t kF32 = FC_DTYPE_BIT(FC_DTYPE_F32);

fc_subject good_subject(const char* name) {
  return {name, "a subject", kF32, kF32, kF32, FC_FEATURE_CAUSAL | FC_FEATURE_LSE, 128, "", 0, "fp32", "", run_nothing};
}

// A well-formed plugin that each test breaks in one place.
struct FakePlugin {
  std::vector<fc_subject> subjects{good_subject("alpha"), good_subject("beta")};
  fc_plugin plugin{FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "fake", "0.1", 2, nullptr, sizeof(fc_subject)};
  const fc_plugin* get() {
    plugin.subjects = subjects.data();
    plugin.n_subjects = static_cast<int32_t>(subjects.size());
    return &plugin;
  }
};

void expect_problem(FakePlugin& f, const std::string& needle) {
  const std::string problem = plugin_problem(f.get());
  EXPECT_NE(problem.find(needle), std::string::npos) << "problem: '" << problem << "', expected to mention '" << needle << "'";
}

TEST(PluginProblem, AcceptsAWellFormedPlugin) {
  FakePlugin f;
  EXPECT_EQ(plugin_problem(f.get()), "");
}

TEST(PluginProblem, RejectsNullAndOtherAbiVersions) {
  EXPECT_NE(plugin_problem(nullptr).find("returned NULL"), std::string::npos);
  FakePlugin f;
  f.plugin.abi_version = FC_PLUGIN_ABI_VERSION + 1;
  expect_problem(f, "ABI version 2");
}

TEST(PluginProblem, RejectsATooSmallStructSize) {
  FakePlugin f;
  f.plugin.struct_size = 8;
  expect_problem(f, "struct_size is 8");
}

// A plugin built with another fc_subject would be read at the wrong array step.
TEST(PluginProblem, RejectsAnotherSubjectSize) {
  FakePlugin f;
  f.plugin.subject_size = sizeof(fc_subject) + 8;
  expect_problem(f, "subject_size is");
}

TEST(PluginProblem, RejectsBadAndDuplicateSubjectNames) {
  FakePlugin f;
  f.subjects[1].name = "alpha";
  expect_problem(f, "'alpha' is used twice");
  FakePlugin upper;
  upper.subjects[0].name = "Alpha";
  expect_problem(upper, "not a valid subject name");
  FakePlugin at;
  at.subjects[0].name = "a@b";
  expect_problem(at, "not a valid subject name");
  FakePlugin null_name;
  null_name.subjects[0].name = nullptr;
  expect_problem(null_name, "NULL name");
}

TEST(PluginProblem, RejectsUnknownContractsDtypesFeaturesAndSchemes) {
  FakePlugin contract;
  contract.subjects[0].contract = "fp33";
  expect_problem(contract, "unknown contract 'fp33'");
  FakePlugin dtype;
  dtype.subjects[1].kv_dtypes = kF32 | (1u << 7);
  expect_problem(dtype, "kv_dtypes has unknown bits 0x80");
  FakePlugin no_dtype;
  no_dtype.subjects[0].o_dtypes = 0;
  expect_problem(no_dtype, "o_dtypes is 0");
  FakePlugin feature;
  feature.subjects[0].features = 1u << 20;
  expect_problem(feature, "features has unknown bits");
  FakePlugin scheme;
  scheme.subjects[0].kv_schemes = "ggml_q8_0,q3_k";
  scheme.subjects[0].kv_layouts = FC_KV_LAYOUT_BIT(FC_KV_AOS);
  expect_problem(scheme, "unknown block scheme 'q3_k'");
  FakePlugin no_layout;
  no_layout.subjects[0].kv_schemes = "ggml_q8_0";
  expect_problem(no_layout, "kv_layouts is 0");
}

TEST(PluginProblem, RejectsMissingPiecesAndSubjectCounts) {
  FakePlugin run;
  run.subjects[0].run = nullptr;
  expect_problem(run, "run is NULL");
  FakePlugin head;
  head.subjects[0].max_head_dim = 0;
  expect_problem(head, "max_head_dim is 0");
  FakePlugin none;
  none.subjects.clear();
  expect_problem(none, "n_subjects is 0");
  FakePlugin name;
  name.plugin.name = "";
  expect_problem(name, "plugin name is NULL or empty");
}

TEST(PluginCapabilities, FollowTheDeclaredBits) {
  FakePlugin f;
  f.subjects[0].q_dtypes = kF32 | FC_DTYPE_BIT(FC_DTYPE_BF16);
  f.subjects[0].features = FC_FEATURE_WINDOW | FC_FEATURE_SINKS | FC_FEATURE_HADAMARD;
  f.subjects[0].kv_schemes = "ggml_q8_0, mxfp4_e2m1";
  f.subjects[0].kv_layouts = FC_KV_LAYOUT_BIT(FC_KV_SOA);
  f.subjects[0].contract = nullptr;
  ASSERT_EQ(plugin_problem(f.get()), "");
  const Capabilities c = capabilities_of(describe_plugin(*f.get()).subjects[0]);
  EXPECT_EQ(c.q_types, (std::vector<DType>{DType::f32, DType::bf16}));
  EXPECT_EQ(c.kv_types, std::vector<DType>{DType::f32});
  EXPECT_TRUE(c.window && c.sinks && c.hadamard);
  EXPECT_FALSE(c.causal || c.explicit_mask || c.alibi || c.softcap || c.gqa || c.strided || c.dk_ne_dv || c.lse);
  EXPECT_EQ(c.kv_schemes, (std::vector<std::string>{"ggml_q8_0", "mxfp4_e2m1"}));
  EXPECT_EQ(c.kv_layouts, std::vector<KvRowLayout>{KvRowLayout::soa});
  EXPECT_EQ(c.contract, "fp32");  // NULL means the default contract
  EXPECT_EQ(c.max_head_dim, 128);
}

TEST(PluginFaultText, NamesTheSignalAndTheTimeout) {
  EXPECT_EQ(crash_text(11), "crashed (signal 11, SIGSEGV)");
  EXPECT_EQ(crash_text(6), "crashed (signal 6, SIGABRT)");
  EXPECT_EQ(timeout_text(2), "timed out after 2 s");
  EXPECT_EQ(timeout_text(0.5), "timed out after 0.5 s");
}

AttentionCase small_case(int64_t lq, int64_t lk, const std::string& mask) {
  CaseRecipe r;
  r.shape = {1, 4, 2, lq, lk, 64, 64};
  r.mask = mask;
  r.sinks = true;
  r.seed = 42;
  return generate(r);
}

std::unique_ptr<Backend> backend_of(const std::string& path, const std::string& subject, PluginOptions options = {}) {
  auto plugin = Plugin::load(path, options);
  auto b = plugin->make_backend(subject);
  if (!b) ADD_FAILURE() << "the plugin does not export " << subject;
  return b;
}

TEST(PluginBackendRun, ExampleSubjectMatchesTheOracleWithLse) {
  auto b = backend_of(FLASHCHECK_TEST_EXAMPLE_PLUGIN, "example-c");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name(), "example-c");
  EXPECT_TRUE(b->capabilities().lse);
  const AttentionCase c = small_case(7, 40, "causal");
  for (int threads : {1, 2, 0}) {
    ASSERT_TRUE(b->set_threads(threads));
    const RunResult r = run_checked(*b, c);
    ASSERT_EQ(r.status, RunResult::Status::ok) << r.message;
    ASSERT_EQ(r.output.lse.size(), 4u * 7u);
    const OracleResult oracle = run_oracle(c);
    const Verdict v = judge(c, oracle, r.output);
    EXPECT_TRUE(v.pass) << "threads " << threads << ": " << v.summary();
  }
}

TEST(PluginBackendRun, SubjectWithoutLseReturnsNoneAndUnsupportedCasesNeverRun) {
  auto b = backend_of(FLASHCHECK_TEST_EXAMPLE_PLUGIN, "example-c-basic");
  ASSERT_TRUE(b);
  CaseRecipe r;
  r.shape = {1, 2, 2, 4, 16, 64, 64};
  r.mask = "causal";
  const RunResult ok = run_checked(*b, generate(r));
  ASSERT_EQ(ok.status, RunResult::Status::ok) << ok.message;
  EXPECT_TRUE(ok.output.lse.empty());
  const RunResult masked = run_checked(*b, small_case(4, 16, "random"));  // an explicit mask: not declared
  EXPECT_EQ(masked.status, RunResult::Status::unsupported) << masked.message;
}

TEST(PluginBackendRun, ThreadCountReachesThePlugin) {
  PluginOptions options;
  options.threads = 5;  // what set_threads(0) falls back to
  auto b = backend_of(FLASHCHECK_TEST_CRASHING_PLUGIN, "fail-error", options);
  ASSERT_TRUE(b);
  const AttentionCase c = small_case(4, 8, "none");
  for (const auto& [set, sent] : {std::pair{0, 5}, std::pair{1, 1}, std::pair{2, 2}}) {
    b->set_threads(set);
    const RunResult r = run_checked(*b, c);
    EXPECT_EQ(r.status, RunResult::Status::error);
    EXPECT_EQ(r.fault, RunResult::Fault::none);
    EXPECT_EQ(r.message, "refused on purpose (n_threads = " + std::to_string(sent) + ")");
  }
}

TEST(PluginBackendRun, CrashIsAFaultAndTheNextCaseRunsInAFreshWorker) {
  auto b = backend_of(FLASHCHECK_TEST_CRASHING_PLUGIN, "crash-segv");
  ASSERT_TRUE(b);
  const RunResult crashed = run_checked(*b, small_case(40, 48, "none"));
  EXPECT_EQ(crashed.status, RunResult::Status::error);
  EXPECT_EQ(crashed.fault, RunResult::Fault::crashed);
  EXPECT_EQ(crashed.message, "crashed (signal 11, SIGSEGV)");
  const RunResult after = run_checked(*b, small_case(8, 48, "none"));
  EXPECT_EQ(after.status, RunResult::Status::ok) << after.message;

  auto abort_backend = backend_of(FLASHCHECK_TEST_CRASHING_PLUGIN, "crash-abort");
  const RunResult aborted = run_checked(*abort_backend, small_case(4, 16, "none"));
  EXPECT_EQ(aborted.fault, RunResult::Fault::crashed);
  EXPECT_EQ(aborted.message, "crashed (signal 6, SIGABRT)");
}

TEST(PluginBackendRun, HangIsKilledAtTheTimeout) {
  PluginOptions options;
  options.timeout_s = 0.5;
  auto b = backend_of(FLASHCHECK_TEST_CRASHING_PLUGIN, "crash-hang", options);
  ASSERT_TRUE(b);
  const RunResult hung = run_checked(*b, small_case(4, 16, "causal"));
  EXPECT_EQ(hung.status, RunResult::Status::error);
  EXPECT_EQ(hung.fault, RunResult::Fault::timed_out);
  EXPECT_EQ(hung.message, "timed out after 0.5 s");
  const RunResult after = run_checked(*b, small_case(4, 16, "none"));
  EXPECT_EQ(after.status, RunResult::Status::ok) << after.message;
}

TEST(PluginLoad, BadLibrariesAreLoadErrorsNamingTheProblem) {
  const auto load_error = [](const std::string& path) -> std::string {
    try {
      Plugin::load(path);
    } catch (const PluginLoadError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(load_error(FLASHCHECK_TEST_BAD_ABI_PLUGIN).find("ABI version 2"), std::string::npos);
  EXPECT_NE(load_error(FLASHCHECK_TEST_NO_ENTRY_PLUGIN).find("exports no 'flashcheck_plugin'"), std::string::npos);
  EXPECT_NE(load_error("/no/such/plugin.so").find("no such file"), std::string::npos);
  EXPECT_NE(load_error(FLASHCHECK_TEST_NOT_A_LIBRARY).find("as a shared library"), std::string::npos);
}

TEST(PluginLoad, WorkerFromTheEnvironmentMustExist) {
  ASSERT_EQ(setenv(kWorkerEnvVar, "/no/such/worker", 1), 0);
  std::string why;
  EXPECT_FALSE(find_plugin_worker(&why));
  EXPECT_NE(why.find("/no/such/worker"), std::string::npos) << why;
  ASSERT_EQ(unsetenv(kWorkerEnvVar), 0);
  EXPECT_TRUE(find_plugin_worker(&why)) << why;  // the build tree's worker
}

}  // namespace
}  // namespace flashcheck::plugin
