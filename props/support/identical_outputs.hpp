#pragma once
// RapidCheck assertion that two subject outputs are the same bits: O element by element
// (NaN payloads and signed zeros included), LSE as stored. Shared by the suites that
// check reruns, layouts and thread counts for bit-identity.
#include <rapidcheck.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "core/backend.hpp"

namespace flashcheck::testing {

inline void rc_assert_identical(const RunOutput& a, const RunOutput& b) {
  RC_ASSERT(a.o.shape == b.o.shape);
  RC_ASSERT(a.lse.size() == b.lse.size());
  for (int64_t i0 = 0; i0 < a.o.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.o.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.o.shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.o.shape[3]; ++i3)
          RC_ASSERT(std::bit_cast<uint64_t>(a.o.get(i0, i1, i2, i3)) ==
                    std::bit_cast<uint64_t>(b.o.get(i0, i1, i2, i3)));
  RC_ASSERT(a.lse.empty() || std::memcmp(a.lse.data(), b.lse.data(), a.lse.size() * sizeof(float)) == 0);
}

}  // namespace flashcheck::testing
