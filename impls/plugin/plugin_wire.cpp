#include "impls/plugin/plugin_wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace flashcheck::plugin::wire {

bool write_all(int fd, const uint8_t* bytes, size_t n) {
  while (n > 0) {
    // send() with MSG_NOSIGNAL: a dead peer is an error return, not a SIGPIPE; a pipe
    // (a worker started by hand) falls back to write().
    ssize_t k = send(fd, bytes, n, MSG_NOSIGNAL);
    if (k < 0 && errno == ENOTSOCK) k = write(fd, bytes, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    bytes += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

bool write_frame(int fd, std::span<const uint8_t> payload) {
  uint8_t header[8];
  const uint64_t n = payload.size();
  for (int i = 0; i < 8; ++i) header[i] = static_cast<uint8_t>(n >> (8 * i));
  return write_all(fd, header, sizeof header) && write_all(fd, payload.data(), payload.size());
}

namespace {

bool read_exact(int fd, uint8_t* out, size_t n) {
  while (n > 0) {
    const ssize_t k = read(fd, out, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    out += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

}  // namespace

std::optional<std::vector<uint8_t>> read_frame(int fd) {
  uint8_t header[8];
  if (!read_exact(fd, header, sizeof header)) return std::nullopt;
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t{header[i]} << (8 * i);
  if (n > kMaxFrameBytes) return std::nullopt;
  std::vector<uint8_t> payload(static_cast<size_t>(n));
  if (!read_exact(fd, payload.data(), payload.size())) return std::nullopt;
  return payload;
}

}  // namespace flashcheck::plugin::wire
