// Bundles end to end in C++ (cli/bundle_*.hpp): export writes inputs that hold the case's
// exact values, outputs of a correct subject written as a runner would pass verify, and
// every broken piece (results.json, o.npy, lse.npy, case.fcase) is a result naming the
// file and the problem, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/bundle_export.hpp"
#include "cli/bundle_layout.hpp"
#include "cli/bundle_results.hpp"
#include "cli/bundle_verify.hpp"
#include "cli/exit_codes.hpp"
#include "cli/npy.hpp"
#include "core/case_json.hpp"
#include "core/generator.hpp"
#include "impls/builtin_backends.hpp"
#include "props/support/scratch_dir.hpp"

namespace flashcheck::cli {
namespace {

namespace fs = std::filesystem;
using Status = ReplayResult::Status;

class BundleVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 5, .lk = 37, .dk = 32, .dv = 32};
    r.mask = "causal";
    r.sinks = true;
    r.o_type = DType::f16;
    r.seed = 11;
    case_ = generate(r);
    const nlohmann::json entry = export_bundle_case(dir_, {kId, "test", {case_, {"gqa", "test case", {}}}}, case_);
    write_file_atomically(bundle_path(dir_, kManifestFile), bundle_manifest({entry}, "test", "test").dump(2), true);
  }

  // A runner's results: the textbook subject's output, written as a runner writes it.
  void write_runner(const nlohmann::json& status = "ok", const std::string& contract = "fp32") {
    const std::string d = runner_dir(dir_, "t") + "/" + kId;
    fs::create_directories(d);
    auto backend = builtin_registry().make("cpu-textbook");
    const RunResult r = backend->run(case_);
    ASSERT_EQ(r.status, RunResult::Status::ok);
    NpyArray o{NpyType::f16, {1, 4, 5, 32}, {}};
    o.data.assign(r.output.o.storage.begin(), r.output.o.storage.end());
    write_npy_file(d + "/o.npy", o);
    NpyArray lse{NpyType::f32, {1, 4, 5}, std::vector<std::byte>(r.output.lse.size() * 4)};
    std::memcpy(lse.data.data(), r.output.lse.data(), lse.data.size());
    write_npy_file(d + "/lse.npy", lse);
    write_results({{"format", "flashcheck-bundle-results"}, {"version", 1}, {"subject", "textbook-as-runner"},
                   {"contract", contract}, {"device", "cpu"}, {"cases", {{kId, status}}}});
  }
  void write_results(const nlohmann::json& doc) {
    fs::create_directories(runner_dir(dir_, "t"));
    std::ofstream(runner_dir(dir_, "t") + "/results.json") << doc.dump();
  }
  std::string output_path(const std::string& file) const { return runner_dir(dir_, "t") + "/" + kId + "/" + file; }

  ReplayResult only_result() {
    const VerifyRun v = verify_bundle(dir_, {});
    EXPECT_EQ(v.run.results.size(), 1u);
    return v.run.results.empty() ? ReplayResult{} : v.run.results.front();
  }

  static constexpr const char* kId = "0000-gqa";
  test::ScratchDir scratch_{"flashcheck-bundle-test"};
  const std::string dir_ = scratch_.path().string();
  AttentionCase case_;
};

TEST_F(BundleVerify, InputsHoldTheCaseExactly) {
  const std::string d = case_dir(dir_, kId);
  const NpyArray q = read_npy_file(d + "/q.npy"), k = read_npy_file(d + "/k.npy"), kf = read_npy_file(d + "/k_f32.npy");
  EXPECT_EQ(q.type, NpyType::f32);
  EXPECT_EQ(k.type, NpyType::f16);
  EXPECT_EQ(k.shape, (std::vector<int64_t>{1, 2, 37, 32}));
  for (int64_t j = 0; j < 37; ++j)
    for (int64_t e = 0; e < 32; ++e) {
      const int64_t n = (1 * 37 + j) * 32 + e;  // batch 0, KV head 1
      EXPECT_EQ(k.value(n), case_.k.get(0, 1, j, e));
      EXPECT_EQ(kf.value(n), case_.k.get(0, 1, j, e));
    }
  const NpyArray bias = read_npy_file(d + "/bias.npy");
  const std::vector<float> mask = case_.materialized_mask();
  ASSERT_EQ(bias.numel(), static_cast<int64_t>(mask.size()));
  for (size_t n = 0; n < mask.size(); ++n) EXPECT_EQ(bias.value(static_cast<int64_t>(n)), mask[n]);
  EXPECT_EQ(read_npy_file(d + "/sinks.npy").value(2), case_.sinks[2]);
  const CaseRecord back = load_case_record(d + "/case.fcase");
  EXPECT_TRUE(same_values(std::get<AttentionCase>(back.body).q, case_.q));
}

TEST_F(BundleVerify, CorrectOutputsPass) {
  write_runner();
  const ReplayResult r = only_result();
  EXPECT_EQ(r.status, Status::pass) << r.detail;
  EXPECT_EQ(r.backend, "textbook-as-runner");
  ASSERT_TRUE(r.outcome && r.outcome->verdict);
  EXPECT_TRUE(r.outcome->verdict->has_lse);
}

TEST_F(BundleVerify, SwappedHeadsFailAsAWrongResult) {
  write_runner();
  NpyArray o = read_npy_file(output_path("o.npy"));
  const size_t head = 5 * 32 * 2;  // bytes of one head's rows
  std::swap_ranges(o.data.begin(), o.data.begin() + static_cast<std::ptrdiff_t>(head),
                   o.data.begin() + static_cast<std::ptrdiff_t>(head));
  write_npy_file(output_path("o.npy"), o);
  const ReplayResult r = only_result();
  EXPECT_EQ(r.status, Status::fail);
  ASSERT_TRUE(r.outcome && r.outcome->diagnosis);
  EXPECT_EQ(r.outcome->diagnosis->bug_class, "wrong-result") << describe(*r.outcome->diagnosis);
}

TEST_F(BundleVerify, RunnerStatusesAreKept) {
  write_runner("unsupported: no sinks on this device");
  EXPECT_EQ(only_result().status, Status::unsupported);
  write_runner("error: kernel launch failed");
  const ReplayResult r = only_result();
  EXPECT_EQ(r.status, Status::error);
  EXPECT_NE(r.detail.find("kernel launch failed"), std::string::npos);
}

TEST_F(BundleVerify, BrokenOutputsAreErrorsNamingTheFile) {
  struct Breakage {
    std::function<void()> apply;
    std::string expected;
  };
  const Breakage breakages[] = {
      {[&] { fs::remove(output_path("o.npy")); }, "cannot read"},
      {[&] { std::ofstream(output_path("o.npy")) << "garbage"; }, "not a .npy file"},
      {[&] { write_npy_file(output_path("o.npy"), {NpyType::f16, {1, 4, 5, 31}, std::vector<std::byte>(1240)}); },
       "shape [1, 4, 5, 31] but the case's O is [1, 4, 5, 32]"},
      {[&] { write_npy_file(output_path("o.npy"), {NpyType::u8, {1, 4, 5, 32}, std::vector<std::byte>(640)}); },
       "cannot hold O of dtype f16"},
      {[&] {
         NpyArray o{NpyType::f32, {1, 4, 5, 32}, std::vector<std::byte>(640 * 4)};
         const float third = 1.0f / 3.0f;
         std::memcpy(o.data.data(), &third, 4);
         write_npy_file(output_path("o.npy"), o);
       },
       "is not a f16 value"},
      {[&] { write_npy_file(output_path("lse.npy"), {NpyType::f32, {1, 4, 4}, std::vector<std::byte>(64)}); },
       "the case's LSE is [1, 4, 5]"},
  };
  for (const Breakage& b : breakages) {
    write_runner();
    b.apply();
    const ReplayResult r = only_result();
    EXPECT_EQ(r.status, Status::error) << b.expected;
    EXPECT_NE(r.detail.find(b.expected), std::string::npos) << r.detail;
    EXPECT_TRUE(r.detail.find("o.npy") != std::string::npos || r.detail.find("lse.npy") != std::string::npos)
        << r.detail;
  }
}

TEST_F(BundleVerify, BrokenResultsFilesAreBadFiles) {
  const nlohmann::json base = {{"format", "flashcheck-bundle-results"}, {"version", 1}, {"subject", "s"},
                               {"contract", "fp32"}, {"cases", {{kId, "ok"}}}};
  struct Breakage {
    nlohmann::json doc;
    std::string expected;
  };
  std::vector<Breakage> breakages;
  auto with = [&](const std::string& key, const nlohmann::json& v) {
    nlohmann::json d = base;
    if (v.is_null()) d.erase(key); else d[key] = v;
    return d;
  };
  breakages.push_back({with("contract", "fp64"), "unknown contract 'fp64'"});
  breakages.push_back({with("version", 2), "2 is not supported"});
  breakages.push_back({with("subject", nullptr), "field 'subject': missing"});
  breakages.push_back({with("cases", {{kId, "maybe"}}), "none of \"ok\""});
  breakages.push_back({with("cases", {{"../escape", "ok"}}), "not a valid case id"});
  for (const Breakage& b : breakages) {
    write_results(b.doc);
    const ReplayResult r = only_result();
    EXPECT_EQ(r.status, Status::bad_file) << b.expected;
    EXPECT_NE(r.detail.find(b.expected), std::string::npos) << r.detail;
  }
  std::ofstream(runner_dir(dir_, "t") + "/results.json") << "{not json";
  EXPECT_NE(only_result().detail.find("not valid JSON"), std::string::npos);
}

TEST_F(BundleVerify, MissingCaseEntryAndCorruptCaseRecord) {
  write_runner();
  write_results({{"format", "flashcheck-bundle-results"}, {"version", 1}, {"subject", "s"}, {"contract", "fp32"},
                 {"cases", nlohmann::json::object()}});
  ReplayResult r = only_result();
  EXPECT_EQ(r.status, Status::error);
  EXPECT_NE(r.detail.find("has no entry for this case"), std::string::npos) << r.detail;
  std::ofstream(case_dir(dir_, kId) + "/case.fcase") << "FCASE\x1a\r\n truncated";
  r = only_result();
  EXPECT_EQ(r.status, Status::bad_file);
  EXPECT_NE(r.detail.find("case.fcase"), std::string::npos) << r.detail;
}

TEST_F(BundleVerify, UsageErrors) {
  EXPECT_THROW(verify_bundle(dir_, {}), UsageError);  // no runner results yet
  write_runner();
  VerifyOptions o;
  o.runners = {"nope"};
  EXPECT_THROW(verify_bundle(dir_, o), UsageError);
  o = {};
  o.case_ids = {"0009-missing"};
  EXPECT_THROW(verify_bundle(dir_, o), UsageError);
  EXPECT_THROW(verify_bundle(dir_ + "/cases", {}), UsageError);  // not a bundle
  std::ofstream(bundle_path(dir_, kManifestFile)) << "{\"format\": \"flashcheck-bundle\", \"version\": 1}";
  EXPECT_THROW(verify_bundle(dir_, {}), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck::cli
