#pragma once
// Running the cross-compiled aarch64 runner (neon/neon_runner.cpp) under qemu-user:
// the request goes to a file in a fresh temporary directory, the runner writes the
// response file next to it (protocol: neon/wire_format.hpp).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "impls/cpu_simd/neon/wire_format.hpp"

namespace flashcheck::cpu_simd {

// Why the runner cannot run on this machine (cross compiler or qemu missing when the
// build was configured, runner not built), or nullopt when it can.
std::optional<std::string> neon_runner_missing();

// `qemu-aarch64-static <runner> [flags...] <request> <response>`; returns the response
// bytes. Throws std::runtime_error with the runner's output when it fails to answer.
std::vector<std::byte> run_neon_runner(const std::vector<std::string>& flags, std::span<const std::byte> request);

// Checks a response's magic and status: a reader at the payload, or std::runtime_error
// carrying the runner's message.
wire::Reader open_response(const std::vector<std::byte>& response);

}  // namespace flashcheck::cpu_simd
