#pragma once
// The vectorised CPU subjects: the flash-attention loop of flash_kernel.hpp on
//   cpu-avx2       AVX2 + FMA + F16C, 8 lanes
//   cpu-avx512     AVX-512 F/BW/DQ/VL, 16 lanes
//   cpu-neon       AArch64 Advanced SIMD, 4 lanes, fp32 accumulation
//   cpu-neon-fp16  AArch64 fp16 arithmetic (armv8.2-a+fp16) for scores and accumulator
// The x86 ones run in process when the CPU has the ISA; the aarch64 ones run in a
// cross-compiled runner under qemu-user (neon/wire_format.hpp).
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/backend.hpp"

namespace flashcheck {

inline constexpr const char* kCpuAvx2Name = "cpu-avx2";
inline constexpr const char* kCpuAvx512Name = "cpu-avx512";
inline constexpr const char* kCpuNeonName = "cpu-neon";
inline constexpr const char* kCpuNeonFp16Name = "cpu-neon-fp16";

// The seeded bug: the horizontal max over a block's key lanes returns lane 0.
inline constexpr const char* kMaxLane0Mutant = "max-lane0";
MutantInfo max_lane0_mutant();

// mutant: "" or a name from mutants(); anything else throws std::invalid_argument.
// threads: worker threads across query rows, 0 for the hardware concurrency.
std::unique_ptr<Backend> make_cpu_avx2_backend(const std::string& mutant = "", int threads = 0);
std::unique_ptr<Backend> make_cpu_avx512_backend(const std::string& mutant = "", int threads = 0);
std::unique_ptr<Backend> make_cpu_neon_backend(const std::string& mutant = "");
std::unique_ptr<Backend> make_cpu_neon_fp16_backend();

// The vectorised elementary functions the kernels use, by subject name.
enum class SimdFunction { exp, tanh };
// f applied to every x by the named subject's own code (cpu-avx2, cpu-avx512,
// cpu-neon); nullopt, with why, when the subject cannot run on this machine.
std::optional<std::vector<float>> run_simd_function(const std::string& subject, SimdFunction f,
                                                    std::span<const float> x, std::string* why);

}  // namespace flashcheck
