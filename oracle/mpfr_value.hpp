#pragma once
// Small RAII wrapper over mpfr_t and correct rounding of an MPFR value into a
// BinaryFormat (including its subnormal range), shared by the escalation paths.
#include <mpfr.h>

#include "core/binary_format.hpp"

namespace flashcheck::oracle_detail {

class Mpfr {
 public:
  explicit Mpfr(long precision) { mpfr_init2(v_, precision); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
  Mpfr(Mpfr&& o) noexcept {
    mpfr_init2(v_, mpfr_get_prec(o.v_));
    mpfr_swap(v_, o.v_);
  }
  ~Mpfr() { mpfr_clear(v_); }
  mpfr_ptr get() { return v_; }
  mpfr_srcptr get() const { return v_; }
  operator mpfr_ptr() { return v_; }
  operator mpfr_srcptr() const { return v_; }

 private:
  mpfr_t v_;
};

// Round x to nearest-even in format f; overflow gives +-inf.
double round_to_format(mpfr_srcptr x, const BinaryFormat& f);

}  // namespace flashcheck::oracle_detail
