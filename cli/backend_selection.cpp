#include "cli/backend_selection.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/exit_codes.hpp"

namespace flashcheck::cli {

std::string unavailability(const Backend& b) {
  std::string why;
  if (b.available(&why)) return "";
  return why.empty() ? "not available on this machine" : why;
}

BackendSelection select_backends(const Registry& registry, const std::vector<std::string>& names) {
  const std::vector<std::string> registered = registry.names();
  BackendSelection out;
  if (names.empty()) {
    for (const auto& name : registered) {
      auto b = registry.make(name);
      if (!b) continue;
      if (const std::string why = unavailability(*b); !why.empty())
        out.skipped.push_back(fmt::format("{}: {}", name, why));
      else
        out.backends.push_back(std::move(b));
    }
    return out;
  }
  for (const auto& name : names) {
    const std::string subject = split_backend_spec(name).first;
    if (std::find(registered.begin(), registered.end(), subject) == registered.end())
      throw UsageError(fmt::format("unknown backend '{}' (registered: {})", subject, fmt::join(registered, ", ")));
    const bool repeated = std::any_of(out.backends.begin(), out.backends.end(),
                                      [&](const auto& b) { return b->name() == name; });
    if (repeated) continue;
    std::unique_ptr<Backend> b;
    try {
      b = registry.make(name);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());  // an unknown mutant
    }
    if (!b) throw UsageError(fmt::format("backend '{}' could not be created", name));
    if (const std::string why = unavailability(*b); !why.empty())
      throw UsageError(fmt::format("backend '{}' is not available: {}", name, why));
    out.backends.push_back(std::move(b));
  }
  return out;
}

}  // namespace flashcheck::cli
