#include "oracle/exhaustive/stratified_inputs.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>

#include "oracle/formats/element_codec.hpp"

namespace flashcheck::exhaustive {

namespace {

constexpr uint32_t kMantissaMax = 0x7FFFFFu;
constexpr int kRandomMantissas = 4;

uint32_t bits_of(double exact_in_f32) { return std::bit_cast<uint32_t>(static_cast<float>(exact_in_f32)); }

// A magnitude with its f32 neighbours below and above (within the finite range), both signs.
void add_with_neighbours(std::vector<uint32_t>& out, uint32_t magnitude) {
  for (uint32_t sign : {0u, 0x80000000u}) {
    out.push_back(sign | magnitude);
    if (magnitude > 0) out.push_back(sign | (magnitude - 1));
    if (magnitude < 0x7F7FFFFFu) out.push_back(sign | (magnitude + 1));
  }
}

// Distinct finite magnitudes of the format, ascending, plus the grid point above the
// largest so that the overflow threshold appears as a midpoint.
std::vector<double> grid_magnitudes(const formats::ElementFormat& f) {
  std::vector<double> values{0.0};
  for (uint32_t code = 0; code < f.code_count(); ++code) {
    const auto c = static_cast<uint8_t>(code);
    if (formats::is_nan_code(f, c) || formats::is_inf_code(f, c)) continue;
    values.push_back(std::fabs(formats::decode(f, c)));
  }
  values.push_back(f.max_finite + std::ldexp(1.0, f.grid.emax - f.mant_bits));
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

}  // namespace

std::vector<uint32_t> stratified_inputs(const formats::ElementFormat& f, uint64_t seed) {
  std::vector<uint32_t> out;
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<uint32_t> mantissa(0, kMantissaMax);
  // Every exponent field (0: zeros and subnormals; 255: infinities and NaN payloads).
  for (uint32_t exponent = 0; exponent <= 0xFF; ++exponent) {
    std::vector<uint32_t> mantissas{0, 1, 2, kMantissaMax - 1, kMantissaMax, 0x400000u, 0x3FFFFFu, 0x400001u};
    for (int i = 0; i < kRandomMantissas; ++i) mantissas.push_back(mantissa(random));
    for (uint32_t m : mantissas)
      for (uint32_t sign : {0u, 0x80000000u}) out.push_back(sign | (exponent << 23) | m);
  }
  // Every value of the format and every midpoint between neighbours: the exact points
  // where a rounding decision flips, each with the f32 on either side. Values and
  // midpoints have at most mant_bits + 2 significant bits, so they are exact in f32.
  const std::vector<double> grid = grid_magnitudes(f);
  for (size_t i = 0; i < grid.size(); ++i) {
    if (grid[i] < 0x1p128) add_with_neighbours(out, bits_of(grid[i]));
    if (i + 1 < grid.size()) {
      const double midpoint = (grid[i] + grid[i + 1]) / 2;
      if (midpoint < 0x1p128) add_with_neighbours(out, bits_of(midpoint));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace flashcheck::exhaustive
