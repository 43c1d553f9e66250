#pragma once
// Subjects with the behaviours no seeded bug has (a result that changes between runs or
// with the thread count, a mask that is not applied), for the absolute rules and the
// diagnosis suites. Each wraps cpu-textbook and changes exactly one thing, as the bug
// would in a real kernel.
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "core/backend.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "verdict/probe_cases.hpp"

namespace flashcheck::probe_subjects {

class Wrapped : public Backend {
 public:
  explicit Wrapped(std::string name) : name_(std::move(name)), inner_(make_cpu_textbook_backend()) {}
  std::string name() const override { return name_; }
  std::string description() const override { return "cpu-textbook with one seeded behaviour: " + name_; }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  bool set_threads(int threads) override {
    threads_ = threads;
    return inner_->set_threads(threads);
  }

 protected:
  RunResult run_inner(const AttentionCase& c) { return inner_->run(c); }
  int threads() const { return threads_; }

 private:
  std::string name_;
  std::unique_ptr<Backend> inner_;
  int threads_ = 0;
};

// Row 0's O left as it was allocated (zero), as a store a race sometimes loses.
inline void lose_row_zero(RunOutput& out) {
  for (int64_t col = 0; col < out.o.shape[3]; ++col) out.o.set(0, 0, 0, col, 0.0);
}

// Every second run loses row 0's store.
class LostStoreEveryOtherRun final : public Wrapped {
 public:
  LostStoreEveryOtherRun() : Wrapped("lost-store-every-other-run") {}
  RunResult run(const AttentionCase& c) override {
    RunResult r = run_inner(c);
    if (runs_++ % 2 == 0) lose_row_zero(r.output);
    return r;
  }

 private:
  int runs_ = 0;
};

// With more than one worker thread (0 counts as many), row 0's store is lost.
class LostStoreWithThreads final : public Wrapped {
 public:
  LostStoreWithThreads() : Wrapped("lost-store-with-threads") {}
  RunResult run(const AttentionCase& c) override {
    RunResult r = run_inner(c);
    if (threads() != 1) lose_row_zero(r.output);
    return r;
  }
};

// With more than one worker thread, O[0,0,0,0] comes out one ulp up: a reduction order
// that follows the thread split, well within any budget.
class UlpOffWithThreads final : public Wrapped {
 public:
  UlpOffWithThreads() : Wrapped("ulp-off-with-threads") {}
  RunResult run(const AttentionCase& c) override {
    RunResult r = run_inner(c);
    if (threads() != 1) {
      const auto x = static_cast<float>(r.output.o.get(0, 0, 0, 0));
      r.output.o.set(0, 0, 0, 0, std::nextafter(x, INFINITY));
    }
    return r;
  }
};

// The mask is never applied: every key is attended by every row.
class IgnoresMask final : public Wrapped {
 public:
  IgnoresMask() : Wrapped("ignores-mask") {}
  RunResult run(const AttentionCase& c) override { return run_inner(with_no_mask(c)); }
};

}  // namespace flashcheck::probe_subjects
