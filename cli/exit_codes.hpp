#pragma once
// The tool's exit status contract, and the error that maps to a usage failure.
#include <stdexcept>

namespace flashcheck::cli {

inline constexpr int kExitPass = 0;   // every verdict passed (or nothing failed)
inline constexpr int kExitFail = 1;   // some case failed or errored
inline constexpr int kExitUsage = 2;  // the command line cannot be acted on

// Thrown for requests the user must fix (unknown backend, invalid recipe...).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace flashcheck::cli
