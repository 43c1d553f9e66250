#pragma once
// The contract reference: the textbook online-softmax kernel evaluated with every
// intermediate rounded to the contract's accumulation precision (f32, f16 or bf16) and
// the case's exact inputs. It is what "a correct kernel of this contract" does, so its
// error against the oracle is the yardstick drift is measured by (docs/tolerance.md).
#include <vector>

#include "core/backend.hpp"

namespace flashcheck {

// O in the case's o_type and LSE (rounded to the accumulation type, held as float).
// Q, K, V and the softmax weights are first rounded to the operand precision (the
// inputs of the two matrix products). Fully masked rows give O = 0 and LSE = -inf.
// weighted_v_rms, when given, receives per O element sqrt(sum_j (p_j v_j)^2) / l: the scale
// of a sum of independent per-weight roundings (the statistical P-rounding allowance).
RunOutput contract_reference(const AttentionCase& c, DType operands, DType accumulation,
                             std::vector<double>* weighted_v_rms = nullptr);
// Operands in the accumulation precision too (every intermediate rounded to it).
RunOutput contract_reference(const AttentionCase& c, DType accumulation);

}  // namespace flashcheck
