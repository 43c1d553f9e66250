#pragma once
// The contract reference: the textbook online-softmax kernel evaluated with every
// intermediate rounded to the contract's accumulation precision (f32, f16 or bf16) and
// the case's exact inputs. It is what "a correct kernel of this contract" does, so its
// error against the oracle is the yardstick drift is measured by (docs/tolerance.md).
#include "core/backend.hpp"

namespace flashcheck {

// O in the case's o_type and LSE (rounded to the accumulation type, held as float).
// Fully masked rows give O = 0 and LSE = -inf.
RunOutput contract_reference(const AttentionCase& c, DType accumulation);

}  // namespace flashcheck
