// `flashcheck replay`'s engine (cli/replay_engine.hpp) on case records saved to a
// temporary directory: selected backends graded, expected kills confirmed or missed,
// kills that cannot run here skipped with the reason, and bad files reported by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/replay_engine.hpp"
#include "cli/replay_inputs.hpp"
#include "cli/replay_report.hpp"
#include "core/case_codec.hpp"
#include "impls/builtin_backends.hpp"
#include "props/support/scratch_dir.hpp"

namespace flashcheck::cli {
namespace {

namespace fs = std::filesystem;
using Status = ReplayResult::Status;

class ReplayEngine : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_ / "sub"); }

  // A small GQA case that cpu-scalar@gqa-head-modulo gets wrong (wrong-result).
  static CaseRecord gqa_record(std::vector<ExpectedKill> kills) {
    CaseRecipe r;
    r.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 5, .lk = 37, .dk = 32, .dv = 32};
    r.mask = "causal";
    r.seed = 7;
    return {r, {"gqa-test", "GQA case for the replay tests", std::move(kills)}};
  }

  std::string save(const std::string& name, const CaseRecord& record) {
    const std::string path = (dir_ / name).string();
    save_case_record(path, record);
    return path;
  }

  ReplayRun replay(const std::vector<std::string>& files, const std::vector<std::string>& specs, bool explicit_selection) {
    backends_.clear();
    std::vector<Backend*> raw;
    for (const auto& s : specs) {
      backends_.push_back(builtin_registry().make(s));
      raw.push_back(backends_.back().get());
    }
    return replay_cases(files, raw, explicit_selection, builtin_registry(), {});
  }

  static const ReplayResult& find(const ReplayRun& run, const std::string& backend) {
    const auto it = std::find_if(run.results.begin(), run.results.end(),
                                 [&](const ReplayResult& r) { return r.backend == backend; });
    if (it == run.results.end()) throw std::runtime_error("no result for " + backend);
    return *it;
  }

  test::ScratchDir scratch_{"flashcheck-replay-test"};
  const fs::path dir_ = scratch_.path();
  std::vector<std::unique_ptr<Backend>> backends_;
};

TEST_F(ReplayEngine, correct_subjects_pass_and_the_expected_kill_is_confirmed) {
  const std::string file =
      save("gqa.fcase", gqa_record({{"cpu-scalar@gqa-head-modulo", "wrong-result"}, {"cuda-nope@x", "drift"}}));
  const ReplayRun run = replay({file}, {"cpu-textbook", "cpu-scalar"}, true);
  EXPECT_EQ(run.cases, 1u);
  ASSERT_EQ(run.results.size(), 4u);
  EXPECT_EQ(find(run, "cpu-textbook").status, Status::pass);
  EXPECT_EQ(find(run, "cpu-scalar").status, Status::pass);
  const ReplayResult& kill = find(run, "cpu-scalar@gqa-head-modulo");
  EXPECT_EQ(kill.status, Status::killed) << kill.detail;
  EXPECT_EQ(kill.replay, "flashcheck run --backend cpu-scalar@gqa-head-modulo --case " + file);
  const ReplayResult& skipped = find(run, "cuda-nope@x");
  EXPECT_EQ(skipped.status, Status::kill_skipped);
  EXPECT_NE(skipped.detail.find("not registered"), std::string::npos) << skipped.detail;
  EXPECT_TRUE(replay_passed(run, {}));
}

TEST_F(ReplayEngine, a_kill_with_the_wrong_class_is_missed) {
  const std::string file = save("gqa.fcase", gqa_record({{"cpu-scalar@gqa-head-modulo", "drift"}}));
  const ReplayRun run = replay({file}, {"cpu-textbook"}, false);
  const ReplayResult& kill = find(run, "cpu-scalar@gqa-head-modulo");
  EXPECT_EQ(kill.status, Status::not_killed);
  EXPECT_NE(kill.detail.find("expected drift"), std::string::npos) << kill.detail;
  EXPECT_FALSE(replay_passed(run, {}));
}

TEST_F(ReplayEngine, kills_of_unselected_subjects_are_skipped_by_name) {
  const std::string file = save("gqa.fcase", gqa_record({{"cpu-scalar@gqa-head-modulo", "wrong-result"}}));
  const ReplayRun run = replay({file}, {"cpu-textbook"}, true);
  EXPECT_EQ(find(run, "cpu-scalar@gqa-head-modulo").status, Status::kill_skipped);
  EXPECT_TRUE(replay_passed(run, {}));
}

TEST_F(ReplayEngine, a_selected_kill_backend_is_graded_as_the_kill_only) {
  const std::string file = save("gqa.fcase", gqa_record({{"cpu-scalar@gqa-head-modulo", "wrong-result"}}));
  const ReplayRun run = replay({file}, {"cpu-scalar@gqa-head-modulo"}, true);
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_EQ(run.results.front().status, Status::killed);
}

TEST_F(ReplayEngine, a_mutant_without_an_expected_kill_fails_with_its_class) {
  const std::string file = save("gqa.fcase", gqa_record({}));
  const ReplayRun run = replay({file}, {"cpu-scalar@gqa-head-modulo"}, true);
  ASSERT_EQ(run.results.size(), 1u);
  const ReplayResult& r = run.results.front();
  EXPECT_EQ(r.status, Status::fail);
  ASSERT_TRUE(r.outcome && r.outcome->diagnosis);
  EXPECT_EQ(r.outcome->diagnosis->bug_class, "wrong-result");
  EXPECT_NE(format_result(r).find("replay: flashcheck run --backend cpu-scalar@gqa-head-modulo --case "),
            std::string::npos);
}

TEST_F(ReplayEngine, an_unknown_mutant_in_the_notes_is_an_error) {
  const std::string file = save("gqa.fcase", gqa_record({{"cpu-scalar@no-such-bug", ""}}));
  const ReplayRun run = replay({file}, {"cpu-textbook"}, false);
  EXPECT_EQ(find(run, "cpu-scalar@no-such-bug").status, Status::error);
  EXPECT_FALSE(replay_passed(run, {}));
}

TEST_F(ReplayEngine, undecodable_files_are_reported_by_name_and_walks_skip_other_files) {
  save("sub/good.fcase", gqa_record({}));
  std::ofstream(dir_ / "sub" / "broken.fcase") << "FCASE but not really";
  std::ofstream(dir_ / "sub" / "notes.txt") << "not a case";
  const ReplayInputs inputs = collect_case_files({dir_.string()});
  ASSERT_EQ(inputs.case_files.size(), 2u);
  EXPECT_EQ(fs::path(inputs.case_files[0]).filename(), "broken.fcase");  // sorted
  ASSERT_EQ(inputs.skipped.size(), 1u);
  EXPECT_EQ(fs::path(inputs.skipped[0].path).filename(), "notes.txt");

  const ReplayRun run = replay(inputs.case_files, {"cpu-textbook"}, true);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].status, Status::bad_file);
  EXPECT_NE(run.results[0].detail.find("broken.fcase"), std::string::npos) << run.results[0].detail;
  EXPECT_EQ(run.results[1].status, Status::pass);
  EXPECT_FALSE(replay_passed(run, {}));

  ReplayContext strict;
  strict.skipped_files = inputs.skipped;
  strict.strict = true;
  const ReplayRun good = replay({inputs.case_files[1]}, {"cpu-textbook"}, true);
  EXPECT_TRUE(replay_passed(good, {}));
  EXPECT_FALSE(replay_passed(good, strict));
}

TEST_F(ReplayEngine, the_runs_own_reports_are_not_replayed) {
  save("a.fcase", gqa_record({}));
  std::ofstream(dir_ / "report.json") << "{}";
  const ReplayInputs inputs = collect_case_files({dir_.string()}, {(dir_ / "sub" / ".." / "report.json").string()});
  ASSERT_EQ(inputs.case_files.size(), 1u);
  ASSERT_EQ(inputs.skipped.size(), 1u);
  EXPECT_NE(inputs.skipped[0].reason.find("output of this run"), std::string::npos);
}

TEST_F(ReplayEngine, nothing_to_replay_does_not_pass) {
  EXPECT_FALSE(replay_passed(replay({}, {"cpu-textbook"}, true), {}));
}

}  // namespace
}  // namespace flashcheck::cli
