#pragma once
// Turning backend names from the command line into ready backends, with errors
// that name the valid choices.
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck::cli {

struct BackendSelection {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<std::string> skipped;  // "name: why" for registered but unavailable ones
};

// names empty: every available backend. Throws UsageError for an unknown name
// (listing the registered ones) or a named backend that is unavailable here.
BackendSelection select_backends(const Registry& registry, const std::vector<std::string>& names);

// Availability of one backend: empty when available, else the reason.
std::string unavailability(const Backend& b);

}  // namespace flashcheck::cli
