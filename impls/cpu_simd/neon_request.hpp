#pragma once
// The host side of the runner protocol (neon/wire_format.hpp): a case's raw storage
// and options out, the kernel's O and LSE back.
#include <cstddef>
#include <span>
#include <vector>

#include "core/backend.hpp"
#include "impls/cpu_simd/neon/wire_format.hpp"

namespace flashcheck::cpu_simd {

std::vector<std::byte> encode_attention_request(const AttentionCase& c, wire::Arithmetic arithmetic);
// O (in c.o_type, contiguous) and LSE of c from a response payload; std::runtime_error
// when the payload does not describe c's output.
RunOutput decode_attention_response(wire::Reader& payload, const AttentionCase& c);

std::vector<std::byte> encode_function_request(std::span<const float> x);
std::vector<float> decode_function_response(wire::Reader& payload, size_t count);

}  // namespace flashcheck::cpu_simd
