#pragma once
// Failing cases found by properties are saved as case files, so a counterexample can
// be replayed with the tool long after the test run that found it.
#include <string>

#include "core/attention_case.hpp"

namespace flashcheck::testing {

// Saves c as a case file under $FLASHCHECK_ARTIFACTS (default: "flashcheck-artifacts"
// in the current directory, ctest's working directory), named as the tool names its
// failure artifacts, and returns a note for the failure message: the file's path and
// the command that replays it. Saving problems go into the note instead of throwing,
// so the property still reports its own failure.
std::string save_counterexample(const AttentionCase& c, const std::string& backend_spec, const std::string& why);

}  // namespace flashcheck::testing
