#pragma once
// The conversation between the host and a plugin worker, over one stream socket (the
// worker's stdin and stdout). Every message is a frame: a u64 little-endian payload
// length, then the payload, whose first byte says what it is.
//   describe request: [1]
//   run request:      [2] u32 subject index, i32 n_threads, the case as a binary raw-case
//                     record (core/case_codec.hpp) up to the end of the frame
//   reply:            u8 Reply, string message (u32 length + bytes), then for an ok describe
//                     the PluginDescription (plugin_description.hpp), for an ok run
//                     u64 byte count + O bytes, u8 has_lse, u64 count + f32 LSE values
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace flashcheck::plugin::wire {

enum class Request : uint8_t { describe = 1, run = 2 };
// ok, error and unsupported mirror fc_status; failure: the worker could not serve the
// request (the plugin did not load, the request was malformed).
enum class Reply : uint8_t { ok = 0, error = 1, unsupported = 2, failure = 3 };

inline constexpr uint64_t kMaxFrameBytes = uint64_t{1} << 36;  // a case's tensors fit; a corrupt length does not
inline constexpr size_t kMaxMessageBytes = 1 << 16;

// Blocking writes and reads of whole frames (false: the peer is gone or the frame is bad).
// Never raises SIGPIPE.
bool write_frame(int fd, std::span<const uint8_t> payload);
std::optional<std::vector<uint8_t>> read_frame(int fd);

// Writes all of bytes; false when the peer is gone.
bool write_all(int fd, const uint8_t* bytes, size_t n);

}  // namespace flashcheck::plugin::wire
