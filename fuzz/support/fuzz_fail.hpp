#pragma once
// Reporting a finding: print everything needed to reproduce and understand it, then
// abort, so libFuzzer saves the input as a crash and the replay binary exits non-zero.
#include <bit>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace flashcheck::fuzz {

// printf-style headline of the mismatch, then abort.
[[noreturn]] __attribute__((format(printf, 1, 2))) inline void fuzz_fail(const char* fmt, ...) {
  std::fputs("FUZZ FINDING: ", stderr);
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

// One value in every notation a mismatch report needs: %a, decimal, and raw bits.
inline void print_value(const char* label, double x) {
  std::fprintf(stderr, "  %s = %a = %.17g (bits 0x%016llx)\n", label, x, x,
               static_cast<unsigned long long>(std::bit_cast<uint64_t>(x)));
}
inline void print_value(const char* label, float x) {
  std::fprintf(stderr, "  %s = %a = %.9g (f32 bits 0x%08x)\n", label, static_cast<double>(x), static_cast<double>(x),
               std::bit_cast<uint32_t>(x));
}

}  // namespace flashcheck::fuzz
