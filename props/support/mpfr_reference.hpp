#pragma once
// A deliberately plain attention reference for validating the oracle: every row
// is evaluated the textbook way in 256-bit MPFR arithmetic and rounded to the
// output formats by MPFR itself (its own exponent-range emulation), sharing no
// numerics with oracle/ or with core/binary_format.
//
// Where the 256-bit value lies too close to a rounding boundary B for its error
// bound, the side is decided from the sign of sum_j p_j (v_j - B) (for LSE, of
// (max - B) + log1p(sum of the other weights)), summed exactly with keys of equal
// real score grouped: this settles exact ties and perturbations far below 2^-256
// (e^-5000 weights of huge score gaps). What still cannot be settled is flagged.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/attention_case.hpp"
#include "core/dtype.hpp"

namespace flashcheck::reference {

inline constexpr long kReferencePrecisionBits = 256;

struct ReferenceResult {
  // Layouts as OracleResult: O is [batch][hq][lq][dv], per-row arrays [batch][hq][lq].
  std::vector<float> o;    // rounded to the requested output dtype (value held in a float)
  std::vector<float> lse;  // rounded to f32
  std::vector<long double> o_wide;  // the 256-bit values, rounded to long double
  std::vector<long double> lse_wide;
  // 1 where the rounding could not be decided (see above); such elements prove nothing.
  std::vector<uint8_t> o_undecided;
  std::vector<uint8_t> lse_undecided;
  std::vector<uint8_t> fully_masked;  // per row: no visible key and no sink
  int64_t undecided_elements = 0;
};

// Throws std::invalid_argument for a case that fails validate() or holds inf/NaN in
// Q, K or V at a visible position (they are legal only at masked keys).
ReferenceResult mpfr_reference(const AttentionCase& c, DType out_type,
                               FullyMaskedPolicy policy = FullyMaskedPolicy::zeros_neg_inf_lse);

// Outputs of an implementation under test, laid out as ReferenceResult.
struct OutputsUnderTest {
  std::span<const float> o;
  std::span<const float> lse;
  std::span<const double> o_exact;    // optional: its high-precision values (empty to skip)
  std::span<const double> lse_exact;
};

// Empty when every decided element of `got` matches the reference bit for bit (NaN
// matches NaN; a real-valued zero, whose sign is a convention, matches either zero)
// and every high-precision value lies within 2^-52 relative of the 256-bit value.
// Otherwise one line per mismatch (at most max_lines), values in decimal and %a.
std::string mismatches(const ReferenceResult& ref, const CaseShape& shape, const OutputsUnderTest& got,
                       size_t max_lines = 8);

// Round-to-nearest-even of an exact double into a storage dtype, done by MPFR with
// the dtype's precision and exponent range (subnormals, overflow to inf).
float mpfr_round_to(DType t, double x);

}  // namespace flashcheck::reference
