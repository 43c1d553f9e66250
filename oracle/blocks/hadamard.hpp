#pragma once
// Block-32 Walsh-Hadamard rotation applied before quantizing (as rotated KV caches do):
// y = H x / sqrt(32) per block of 32, H the Sylvester-order Hadamard matrix,
// H[i][j] = (-1)^popcount(i & j), so H / sqrt(32) is orthonormal and symmetric.
#include <array>
#include <span>
#include <vector>

#include "oracle/blocks/block.hpp"
#include "oracle/blocks/block_scheme.hpp"

namespace flashcheck::blocks {

// +1 or -1.
int hadamard_sign(int i, int j);

struct UnscaledRotation {
  std::array<double, kBlockSize> sums{};  // H x, each sum rounded to double
  bool exact = true;                      // every sum was exact (no addition rounded)
};
// H x for one block of 32 values (no 1/sqrt(32) scaling).
UnscaledRotation hadamard_unscaled(std::span<const double> x);

// Orthonormal rotation in double: fl(fl(H x) * fl(2^-2.5)) element by element.
std::array<double, kBlockSize> rotate_block(std::span<const double> x);
// rotate_block on every block of a row (length a multiple of 32).
std::vector<double> rotate_row(std::span<const double> x);

// fused: quantize the exact rotated values H x / sqrt(32) (MX schemes only; needs every
// H x exact in double with at most 48 significant bits, else std::domain_error).
// unfused: rotate_row, round each value to f32, then quantize_row (every scheme).
enum class RotationMode : uint8_t { fused, unfused };

std::vector<Block> quantize_rotated_row(const BlockScheme& s, std::span<const double> x, RotationMode mode,
                                        const MxOptions& o = {});

}  // namespace flashcheck::blocks
